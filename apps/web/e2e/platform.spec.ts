import { readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import {
  request as playwrightRequest,
  type APIRequestContext,
} from "@playwright/test";
import { expect, repoRoot, screenshotsDir, signIn, test } from "./fixtures";

const facts = JSON.parse(
  readFileSync(path.join(repoRoot, "models", "facts", "facts.json"), "utf8"),
) as {
  activation_patching: { after: { top1: { id: number; logit: number } } };
};

/** Calls a tRPC procedure over HTTP as the given request context. */
async function call<T>(
  request: APIRequestContext,
  procedure: string,
  input: unknown,
  kind: "query" | "mutation",
): Promise<T> {
  const response =
    kind === "query"
      ? await request.get(
          `/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`,
        )
      : await request.post(`/api/trpc/${procedure}`, { data: input });
  const body = (await response.json()) as {
    result?: { data: T };
    error?: { message: string };
  };
  if (!response.ok()) throw new Error(`${procedure}: ${body.error?.message}`);
  return body.result!.data;
}

test("the administrator signs in through the sign-in page (Auth.js's sends there too)", async ({
  page,
  stack,
}) => {
  const { email, password } = stack.seeded!.admin;
  await page.goto("/api/auth/signin");
  await expect(page).toHaveURL(/\/signin/);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByTestId("signed-in")).toContainText(email);
  await page.screenshot({ path: path.join(screenshotsDir, "signed-in.png") });
  // A wrong password does not sign in, and says so.
  await page.context().clearCookies();
  await page.goto("/signin");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByTestId("form-error")).toContainText(
    "do not match an account",
  );
  await expect(page.getByTestId("sign-in")).toBeVisible();
});

test("a magic link from the outbox signs a new email in (once), creating its account", async ({
  page,
  browser,
  stack,
}) => {
  const outbox = stack.outboxDir;
  rmSync(outbox, { recursive: true, force: true });
  await page.goto("/signin");
  await page.getByLabel("Your email").fill("linus@loupe.test");
  await page.getByRole("button", { name: "Email me a link" }).click();
  await expect(page.getByTestId("form-notice")).toContainText(
    "linus@loupe.test",
  );
  const files = readdirSync(outbox).filter((f) => f.endsWith(".eml"));
  expect(files).toHaveLength(1);
  const mail = readFileSync(path.join(outbox, files[0]!), "utf8");
  expect(mail).toContain("To: linus@loupe.test");
  const link = /(http:\/\/\S+\/signin\/link\?token=\S+)/.exec(mail)![1]!;
  // Opening the link spends nothing; the button does.
  await page.goto(link);
  await page.goto(link);
  await page.getByTestId("use-link").click();
  await expect(page.getByTestId("signed-in")).toContainText("linus@loupe.test");
  // Used once, it no longer works (in another browser).
  const context = await browser.newContext({ baseURL: stack.webUrl! });
  const other = await context.newPage();
  await other.goto(link);
  await other.getByTestId("use-link").click();
  await expect(other.getByTestId("form-error")).toContainText(
    "used, expired or unknown",
  );
  await context.close();
});

test("a script with an API key runs the demo experiment's graph; its result downloads as safetensors, only for those who may read the run", async ({
  page,
  stack,
}) => {
  const baseURL = stack.webUrl!;
  await signIn(page.request, stack.seeded!.admin);
  const { key } = await call<{ key: string }>(
    page.request,
    "keys.create",
    {
      name: "e2e script",
      scopes: ["runs:read", "runs:write", "experiments:read"],
    },
    "mutation",
  );
  const script = await playwrightRequest.newContext({
    baseURL,
    extraHTTPHeaders: { authorization: `Bearer ${key}` },
  });
  // The demo experiment is public; the script runs its graph ad hoc: a private run.
  const demo = await call<{ model: string; graph: unknown }>(
    script,
    "experiments.version",
    { experimentId: stack.seeded!.demoExperimentId, version: 1 },
    "query",
  );
  const { runId } = await call<{ runId: string }>(
    script,
    "runs.submit",
    { model: demo.model, graph: demo.graph, reuse: false },
    "mutation",
  );
  await expect
    .poll(
      async () =>
        (
          await call<{ status: string }>(
            script,
            "runs.status",
            { runId },
            "query",
          )
        ).status,
      { timeout: 60_000 },
    )
    .toBe("completed");
  const status = await call<{
    resultUrl: string;
    metrics: { forwardPasses: number };
  }>(script, "runs.status", { runId }, "query");
  expect(status.metrics.forwardPasses).toBe(2);

  const download = await script.get(status.resultUrl);
  expect(download.status()).toBe(200);
  expect(download.headers()["content-type"]).toBe("application/octet-stream");
  expect(download.headers()["content-disposition"]).toContain(
    `${runId}.safetensors`,
  );
  // safetensors: an 8-byte little-endian header length, a JSON header, the data.
  const bytes = await download.body();
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(
    bytes.subarray(8, 8 + headerLength).toString("utf8"),
  ) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  expect(header.logits).toMatchObject({ dtype: "F32", shape: [1, 8, 1302] });
  const data = bytes.subarray(8 + headerLength);
  const logits = new Float32Array(
    data.buffer.slice(
      data.byteOffset + header.logits!.data_offsets[0],
      data.byteOffset + header.logits!.data_offsets[1],
    ),
  );
  const last = logits.subarray(7 * 1302, 8 * 1302);
  const top = last.indexOf(Math.max(...last));
  // The patched prediction is PyTorch's: " Rome", at its logit (within 1e-3).
  expect(top).toBe(facts.activation_patching.after.top1.id);
  expect(
    Math.abs(last[top]! - facts.activation_patching.after.top1.logit),
  ).toBeLessThan(1e-3);

  // Not readable by anyone else: anonymous, or another signed-in account.
  const anonymous = await playwrightRequest.newContext({ baseURL });
  expect((await anonymous.get(status.resultUrl)).status()).toBe(404);
  await call(
    anonymous,
    "account.signUp",
    { email: "eve@loupe.test", name: "Eve", password: "eve-password-1" },
    "mutation",
  );
  await signIn(anonymous, {
    email: "eve@loupe.test",
    password: "eve-password-1",
  });
  expect((await anonymous.get(status.resultUrl)).status()).toBe(404);
  await script.dispose();
  await anonymous.dispose();
});
