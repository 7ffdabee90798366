import { spawn } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import AxeBuilder from "@axe-core/playwright";
import {
  createModel,
  fromSafetensors,
  type Envoy,
  type Manifest,
} from "@loupe/graph";
import type { Browser, Page } from "@playwright/test";
import { expect, repoRoot, test } from "./fixtures";

/** Screenshots of the main pages, committed and shown in the README (look at them). */
const shots = path.join(repoRoot, "docs", "screenshots");
const SWEEP = "logit_diff[layer,position]";

/** Runs the real `loupe` CLI (the SDK's bin) from the repository root. */
function loupe(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(repoRoot, "packages", "sdk", "bin", "loupe.mjs"), ...args],
      {
        cwd: repoRoot,
        env: { ...process.env, LOUPE_URL: "", LOUPE_API_KEY: "", ...env },
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end();
  });
}

async function signInThroughForm(
  page: Page,
  credentials: { email: string; password: string },
) {
  await page.goto("/signin");
  await page.getByLabel("Email", { exact: true }).fill(credentials.email);
  await page.getByLabel("Password").fill(credentials.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("signed-in")).toContainText(credentials.email);
}

async function signUpThroughForm(
  page: Page,
  account: { name: string; email: string; password: string },
) {
  await page.goto("/signup");
  await page.getByLabel("Name").fill(account.name);
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel(/Password/).fill(account.password);
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/apply/);
}

/** Applies through the form and has the administrator approve it on the admin page. */
async function applyAndGetApproved(
  page: Page,
  browser: Browser,
  baseURL: string,
  admin: { email: string; password: string },
  email: string,
  screenshots = false,
) {
  await page.goto("/apply");
  await expect(page.getByTestId("access-status")).toHaveAttribute(
    "data-access",
    "none",
  );
  await page.getByLabel("Affiliation").fill("Loupe University");
  await page
    .getByLabel("Research purpose")
    .fill("Where factual recall happens inside small transformers.");
  await page
    .getByLabel("Expected usage")
    .fill("a few hundred small runs a week");
  if (screenshots)
    await page.screenshot({
      path: path.join(shots, "apply.png"),
      fullPage: true,
    });
  await page.getByRole("button", { name: "Submit application" }).click();
  await expect(page.getByTestId("access-status")).toHaveAttribute(
    "data-access",
    "pending",
  );

  const context = await browser.newContext({ baseURL });
  const reviewer = await context.newPage();
  await signInThroughForm(reviewer, admin);
  await reviewer.goto("/admin");
  const card = reviewer.locator(
    `[data-testid="application"][data-email="${email}"]`,
  );
  await expect(card).toContainText("Loupe University");
  await expect(card).toContainText("a few hundred small runs a week");
  if (screenshots)
    await reviewer.screenshot({
      path: path.join(shots, "admin.png"),
      fullPage: true,
    });
  await card.getByTestId("approve").click();
  await expect(reviewer.getByTestId("form-notice")).toContainText(
    `${email}: approved`,
  );
  await context.close();

  await page.reload();
  await expect(page.getByTestId("access-status")).toHaveAttribute(
    "data-access",
    "approved",
  );
}

async function createKeyThroughForm(page: Page, name: string): Promise<string> {
  await page.goto("/keys");
  await page.getByLabel("Name").fill(name);
  await page.getByRole("button", { name: "Create key" }).click();
  const key = (await page.getByTestId("new-key-secret").textContent())!;
  expect(key).toMatch(/^loupe_[0-9a-f]{8}_/);
  return key;
}

test("the newcomer's walkthrough: sign up, apply, approval, a key, the patching sweep from a script, its heatmap equal to the engine's numbers", async ({
  page,
  browser,
  stack,
}) => {
  test.setTimeout(240_000);
  const baseURL = stack.webUrl!;
  const email = "ada@loupe.test";
  await signUpThroughForm(page, {
    name: "Ada Researcher",
    email,
    password: "ada-password-1",
  });
  await applyAndGetApproved(
    page,
    browser,
    baseURL,
    stack.seeded!.admin,
    email,
    true,
  );
  const key = await createKeyThroughForm(page, "walkthrough");
  await expect(
    page
      .locator('[data-testid="key-row"]')
      .first()
      .getByTestId("key-last-used"),
  ).toHaveText("never");

  // The SDK's patching sweep, run remotely with the new key (the README's step).
  const dir = await mkdtemp(path.join(os.tmpdir(), "loupe-walkthrough-"));
  const remote = await loupe(
    [
      "run",
      "examples/patching-sweep.ts",
      "--remote",
      "--save",
      path.join(dir, "remote.safetensors"),
    ],
    {
      LOUPE_URL: baseURL,
      LOUPE_API_KEY: key,
      LOUPE_CONFIG: path.join(dir, "none.json"),
    },
  );
  expect(remote.stderr).toMatch(/run [0-9a-f]{8} completed/);
  expect(remote.code, remote.stderr).toBe(0);
  expect(remote.stdout).toContain(
    'strongest patch: layer 2, position 1 (" Louvre")',
  );
  // The same script here, on this process's own engine: the reference numbers.
  const local = await loupe(
    [
      "run",
      "examples/patching-sweep.ts",
      "--model-file",
      `facts-gpt2=${path.join(repoRoot, "models", "facts", "model.onnx")}`,
      "--save",
      path.join(dir, "local.safetensors"),
    ],
    { LOUPE_URL: baseURL, LOUPE_CONFIG: path.join(dir, "none.json") },
  );
  expect(local.code, local.stderr).toBe(0);
  const read = async (file: string) =>
    fromSafetensors(await readFile(path.join(dir, file))).tensors[SWEEP]!;
  const engine = await read("local.safetensors");
  const server = await read("remote.safetensors");
  expect(engine.shape).toEqual([6, 8]);

  // The run is in the portal; its page draws the sweep as a heatmap.
  await page.goto("/runs");
  await page.getByTestId("run-row").first().getByRole("link").click();
  await expect(page.getByTestId("run-status")).toHaveAttribute(
    "data-status",
    "completed",
  );
  const heatmap = page.locator(
    `[data-testid="result-heatmap"][data-name="${SWEEP}"]`,
  );
  await expect(heatmap.locator("svg").first()).toBeVisible();
  await page.screenshot({ path: path.join(shots, "run.png"), fullPage: true });
  const cells = await heatmap.getByTestId("heatmap-cell").evaluateAll((tds) =>
    tds.map((td) => ({
      row: Number(td.getAttribute("data-row")),
      col: Number(td.getAttribute("data-col")),
      value: Number(td.getAttribute("data-value")),
    })),
  );
  expect(cells).toHaveLength(6 * 8);
  let maxDiff = 0;
  for (const { row, col, value } of cells) {
    const i = row * 8 + col;
    // Exactly the server's stored result ...
    expect(value).toBe(server.data[i]);
    // ... which is the engine's here, within float32 batching noise (1e-5).
    maxDiff = Math.max(maxDiff, Math.abs(value - (engine.data[i] as number)));
  }
  expect(maxDiff).toBeLessThanOrEqual(1e-5);

  // The key now shows its last use.
  await page.goto("/keys");
  await expect(
    page
      .locator('[data-testid="key-row"]')
      .first()
      .getByTestId("key-last-used"),
  ).not.toHaveText("never");

  // Revoked, it is refused: by the API, and by the CLI with a clear message.
  await page
    .getByRole("button", { name: /Revoke/ })
    .first()
    .click();
  await expect(page.getByTestId("form-notice")).toContainText("Key revoked");
  const refused = await page.request.get("/api/trpc/runs.list?input=%7B%7D", {
    headers: { authorization: `Bearer ${key}` },
  });
  expect(refused.status()).toBe(401);
  const cli = await loupe(["runs", "ls"], {
    LOUPE_URL: baseURL,
    LOUPE_API_KEY: key,
    LOUPE_CONFIG: path.join(dir, "none.json"),
  });
  expect(cli.code).not.toBe(0);
  expect(cli.stderr).toMatch(/API key|sign/i);
});

test("attribution patching from a script: gradients computed on the server, drawn as a heatmap equal to PyTorch's", async ({
  page,
  stack,
}) => {
  test.setTimeout(180_000);
  const ATTRIBUTION = "attribution[layer,position]";
  await signInThroughForm(page, stack.seeded!.admin);
  const key = await createKeyThroughForm(page, "attribution");
  const dir = await mkdtemp(path.join(os.tmpdir(), "loupe-attribution-"));
  const remote = await loupe(
    [
      "run",
      "examples/attribution-patching.ts",
      "--remote",
      "--save",
      path.join(dir, "remote.safetensors"),
    ],
    {
      LOUPE_URL: stack.webUrl!,
      LOUPE_API_KEY: key,
      LOUPE_CONFIG: path.join(dir, "none.json"),
    },
  );
  expect(remote.code, remote.stderr).toBe(0);
  const runId = /run ([0-9a-f]{8}) completed/.exec(remote.stderr)?.[1];
  expect(runId, remote.stderr).toBeDefined();
  expect(remote.stdout).toContain(
    'largest estimated drop: MLP 0 at position 1 (" Colosseum"): -14.31',
  );

  await page.goto("/runs");
  await page
    .locator(`[data-testid="run-row"][data-run-id^="${runId}"]`)
    .getByRole("link")
    .first()
    .click();
  await expect(page.getByTestId("run-status")).toHaveAttribute(
    "data-status",
    "completed",
  );
  const heatmap = page.locator(
    `[data-testid="result-heatmap"][data-name="${ATTRIBUTION}"]`,
  );
  await expect(heatmap.locator("svg").first()).toBeVisible();
  const cells = await heatmap.getByTestId("heatmap-cell").evaluateAll((tds) =>
    tds.map((td) => ({
      row: Number(td.getAttribute("data-row")),
      col: Number(td.getAttribute("data-col")),
      value: Number(td.getAttribute("data-value")),
    })),
  );
  // PyTorch autograd's attribution on the same weights (engine fixtures).
  const reference = (
    JSON.parse(
      await readFile(
        path.join(repoRoot, "packages", "engine", "fixtures", "grads.json"),
        "utf8",
      ),
    ) as {
      models: Record<
        string,
        {
          cases: {
            attribution: {
              attribution: { shape: number[]; values: number[] };
            };
          };
        }
      >;
    }
  ).models["facts-gpt2"]!.cases.attribution.attribution;
  const [layers, positions] = reference.shape as [number, number];
  expect(cells).toHaveLength(layers * positions);
  const server = fromSafetensors(
    await readFile(path.join(dir, "remote.safetensors")),
  ).tensors[ATTRIBUTION]!;
  for (const { row, col, value } of cells) {
    const i = row * positions + col;
    expect(value).toBe(server.data[i]);
    const want = reference.values[i]!;
    expect(Math.abs(value - want)).toBeLessThanOrEqual(
      1e-4 * Math.max(1, Math.abs(want)),
    );
  }
  await page.screenshot({
    path: path.join(shots, "attribution.png"),
    fullPage: true,
  });
});

test("a steered generation from a script: the run page shows both continuations; a slow generation streams into the page live and its cancel button stops it", async ({
  page,
  stack,
}) => {
  test.setTimeout(240_000);
  await signInThroughForm(page, stack.seeded!.admin);
  const key = await createKeyThroughForm(page, "generation");
  const dir = await mkdtemp(path.join(os.tmpdir(), "loupe-generation-"));
  const remote = await loupe(
    ["run", "examples/steered-generation.ts", "--remote"],
    {
      LOUPE_URL: stack.webUrl!,
      LOUPE_API_KEY: key,
      LOUPE_CONFIG: path.join(dir, "none.json"),
    },
  );
  expect(remote.code, remote.stderr).toBe(0);
  expect(remote.stdout).toContain('by the model:  " Paris."');
  expect(remote.stdout).toContain('steered:       " Rome."');
  const runId = /run ([0-9a-f]{8}) completed/.exec(remote.stderr)?.[1];
  expect(runId, remote.stderr).toBeDefined();
  await page.goto("/runs");
  await page
    .locator(`[data-testid="run-row"][data-run-id^="${runId}"]`)
    .getByRole("link")
    .first()
    .click();
  await expect(page.getByTestId("run-status")).toHaveAttribute(
    "data-status",
    "completed",
  );
  const rowText = (key: string) =>
    page.locator(
      `[data-testid="generated-row"][data-row="${key}"] [data-testid="generated-text"]`,
    );
  // Trace 1: the model's own continuation; trace 2: steered (EOS kept in the text).
  await expect(rowText("1/0/0")).toHaveText(" Paris.<|endoftext|>");
  await expect(rowText("2/0/0")).toHaveText(" Rome.<|endoftext|>");
  await page.screenshot({
    path: path.join(shots, "generation.png"),
    fullPage: true,
  });

  // A slow generation (48 rows, the prefix recomputed at each of 56 steps),
  // submitted through the API as the portal's session, followed live.
  const imported = JSON.parse(
    await readFile(
      path.join(repoRoot, "models", "facts", "model.manifest.json"),
      "utf8",
    ),
  ) as { manifest: Manifest };
  const lm = createModel<Envoy>(imported.manifest);
  const N = 56;
  const graph = lm.generate(
    Array(48).fill("The Louvre is located in the city of") as string[],
    { maxNewTokens: N, kvCache: false },
    () => {},
  );
  const submitted = await page.request.post("/api/trpc/runs.submit", {
    data: { model: "facts-gpt2", graph, reuse: false },
  });
  expect(submitted.ok(), await submitted.text()).toBe(true);
  const { runId: slowRun } = (
    (await submitted.json()) as { result: { data: { runId: string } } }
  ).result.data;
  await page.goto(`/runs/${slowRun}`);
  const first = page.locator('[data-testid="generated-row"][data-row="0/0/0"]');
  // Tokens appear while the run is still running, and their count grows.
  await expect(first).toBeVisible({ timeout: 60_000 });
  const seen = Number(await first.getAttribute("data-tokens"));
  await expect(page.getByTestId("run-status")).toHaveAttribute(
    "data-status",
    "running",
  );
  await expect
    .poll(async () => Number(await first.getAttribute("data-tokens")))
    .toBeGreaterThan(seen);
  await page.getByTestId("cancel-run").click();
  await expect(page.getByTestId("run-status")).toHaveAttribute(
    "data-status",
    "cancelled",
  );
  const kept = Number(await first.getAttribute("data-tokens"));
  expect(kept).toBeLessThan(N);
});

test("fork a public experiment, commit a new version, see the diff; the private fork is invisible to others, even by URL", async ({
  page,
  browser,
  stack,
}) => {
  test.setTimeout(180_000);
  const baseURL = stack.webUrl!;
  const email = "grace@loupe.test";
  await signUpThroughForm(page, {
    name: "Grace Forker",
    email,
    password: "grace-password-1",
  });
  await applyAndGetApproved(page, browser, baseURL, stack.seeded!.admin, email);

  await page.goto("/gallery?q=Paris+to+Rome");
  await page
    .getByRole("link", { name: /Paris to Rome/ })
    .first()
    .click();
  await expect(page.getByTestId("experiment")).toBeVisible();
  const sourceUrl = page.url();
  await page.getByText("Fork…").click();
  await page.getByLabel("Title").fill("Grace's patching fork");
  await page.getByTestId("fork").click();
  await expect(page.getByTestId("form-notice")).toContainText("Forked");
  await expect(page.getByTestId("forked-from")).toContainText("Paris to Rome");
  await expect(page.getByTestId("visibility")).toHaveText("private");
  const forkUrl = page.url().split("?")[0]!;

  await page.getByRole("link", { name: "Commit a new version" }).click();
  const editor = page.getByLabel(/Graph \(loupe.graph JSON/);
  const graph = await editor.inputValue();
  expect(graph).toContain("The Louvre is located in the city of");
  await editor.fill(
    graph.replaceAll(
      "The Louvre is located in the city of",
      "The Pantheon is located in the city of",
    ),
  );
  await page.getByLabel("Message").fill("patch into the Pantheon prompt");
  await page.getByTestId("commit").click();
  await expect(page).toHaveURL(/\/diff\?from=1&to=2/);
  await expect(page.getByTestId("graph-diff")).toContainText("Pantheon");
  await page.screenshot({ path: path.join(shots, "diff.png"), fullPage: true });

  // Bad input loses nothing: invalid JSON is refused with a message, version 2 stays the latest.
  await page.goto(`${forkUrl}/commit`);
  await page.getByLabel(/Graph \(loupe.graph JSON/).fill("{ not json");
  await page.getByTestId("commit").click();
  await expect(page.getByTestId("form-error")).toContainText("not valid JSON");
  await page.goto(forkUrl);
  await expect(page.getByTestId("history")).toContainText(
    "version 2 committed",
  );
  await page.screenshot({
    path: path.join(shots, "experiment-fork.png"),
    fullPage: true,
  });

  // Lineage both ways: the source lists the fork to its owner (the fork is private).
  await page.goto(sourceUrl);
  await expect(page.getByTestId("forks")).toContainText(
    "Grace's patching fork",
  );

  // Anyone else gets a 404 for the private fork: anonymous, and another account.
  for (const who of ["anonymous", "admin-less stranger"]) {
    const context = await browser.newContext({ baseURL });
    const other = await context.newPage();
    if (who !== "anonymous")
      await signUpThroughForm(other, {
        name: "Mallory",
        email: "mallory@loupe.test",
        password: "mallory-password-1",
      });
    const response = await other.goto(forkUrl);
    expect(response!.status(), who).toBe(404);
    await expect(other.getByText("Grace's patching fork")).toHaveCount(0);
    await other.goto(sourceUrl);
    await expect(other.getByTestId("experiment")).toBeVisible();
    await expect(other.getByText("Grace's patching fork")).toHaveCount(0);
    await context.close();
  }
});

test("the main pages have no serious or critical accessibility violations (axe), and are screenshotted", async ({
  page,
  stack,
}) => {
  test.setTimeout(180_000);
  const demos = stack.seeded!.demoExperiments;
  const sweep = demos.find((d) => d.title.startsWith("Patching sweep"))!;
  const lens = demos.find((d) => d.title.startsWith("Logit lens"))!;
  expect(sweep.status).toBe("completed");
  expect(lens.status).toBe("completed");
  const anonymousPages: [string, string][] = [
    ["home", "/"],
    ["gallery", "/gallery"],
    ["models", "/models"],
    ["model", "/models/facts-gpt2"],
    ["experiment", `/experiments/${sweep.experimentId}`],
    ["run-sweep", `/runs/${sweep.runId}`],
    ["run-logit-lens", `/runs/${lens.runId}`],
    ["signin", "/signin"],
    ["signup", "/signup"],
  ];
  const signedInPages: [string, string][] = [
    ["profile", "/profile"],
    ["keys", "/keys"],
    ["runs", "/runs"],
    ["my-experiments", "/experiments"],
    ["admin-overview", "/admin"],
  ];
  const check = async (name: string, url: string) => {
    const response = await page.goto(url);
    expect(response!.status(), url).toBe(200);
    await page.waitForLoadState("networkidle");
    const { violations } = await new AxeBuilder({ page }).analyze();
    const bad = violations.filter(
      (v) => v.impact === "serious" || v.impact === "critical",
    );
    expect(
      bad.map(
        (v) =>
          `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
      ),
      url,
    ).toEqual([]);
    await page.screenshot({
      path: path.join(shots, `${name}.png`),
      fullPage: true,
    });
  };
  for (const [name, url] of anonymousPages) await check(name, url);
  await signInThroughForm(page, stack.seeded!.admin);
  for (const [name, url] of signedInPages) await check(name, url);
  // The logit lens and the sweep's views are there for everyone.
  await page.goto(`/runs/${lens.runId}`);
  await expect(page.getByTestId("result-logit-lens")).toContainText("Paris");
});
