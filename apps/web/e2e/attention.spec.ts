import path from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { fromSafetensors } from "@loupe/graph";
import { expect, repoRoot, test } from "./fixtures";

/** Screenshots of the main pages, committed and shown in the README (look at them). */
const shots = path.join(repoRoot, "docs", "screenshots");
/** The gallery example seeded on the second bundled model (packages/api/src/seed/minilm-experiments.ts). */
const TITLE =
  "Attention patterns of a real model: all-MiniLM-L6-v2 reads a sentence";
const MODEL = "all-minilm-l6-v2";
const LAYER0 = "layer0.attention[batch,head,query,key]";
const TOKENS = [
  "[CLS]",
  "the",
  "cat",
  "sat",
  "on",
  "the",
  "mat",
  "because",
  "it",
  "was",
  "tired",
  ".",
  "[SEP]",
];
const label = (i: number) => `${i}: ${JSON.stringify(TOKENS[i])}`;

test("the MiniLM gallery example draws real attention patterns: every head, the tokens on both axes, the weights as a table equal to the saved ones, and a switch to the tensor summary", async ({
  page,
  stack,
}) => {
  test.setTimeout(180_000);
  const demo = stack.seeded!.demoExperiments.find((d) => d.title === TITLE);
  expect(
    demo,
    `seeding made "${TITLE}" (needs models/minilm/model.manifest.json and the worker hosting ${MODEL})`,
  ).toBeDefined();
  expect(demo!.status).toBe("completed");

  // From the gallery, filtered to the model, as a visitor finds it.
  await page.goto(`/gallery?model=${MODEL}`);
  await page
    .getByTestId("gallery-card")
    .getByRole("link", { name: TITLE })
    .click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(TITLE);
  await page
    .getByTestId("experiment-runs")
    .getByRole("link", { name: demo!.runId!.slice(0, 8) })
    .click();
  await expect(page.getByTestId("run-status")).toHaveAttribute(
    "data-status",
    "completed",
  );

  // One attention view per layer, all six, each with twelve heads.
  const views = page.getByTestId("result-attention");
  await expect(views).toHaveCount(6);
  const layer0 = page.locator(
    `[data-testid="result-attention"][data-name="${LAYER0}"]`,
  );
  await expect(layer0.getByTestId("attention-head")).toHaveCount(12);
  await expect(layer0.getByRole("img", { name: /Heatmap of/ })).toBeVisible();
  await expect(layer0.locator("svg").first()).toBeVisible();

  // Head 2 of layer 0 attends to the previous token: "it" looks at "because".
  await layer0.getByRole("button", { name: "Head 2", exact: true }).click();
  await expect(
    layer0.getByRole("button", { name: "Head 2", exact: true }),
  ).toHaveAttribute("aria-pressed", "true");
  await expect(layer0.getByTestId("attention-chart")).toHaveAttribute(
    "data-head",
    "2",
  );
  const table = layer0.getByTestId("attention-table");
  await expect(table).toBeVisible();
  await expect(table.locator("thead th")).toHaveText([
    "query \\ key",
    ...TOKENS.map((_, i) => label(i)),
  ]);
  await expect(table.locator("tbody th")).toHaveText(
    TOKENS.map((_, i) => label(i)),
  );
  const itRow = table.locator("tbody tr").nth(8);
  await expect(itRow.locator("td").nth(7)).toHaveText("1.000");

  // Every shown weight is the saved float, to the bit, and reads to 3 decimals.
  const result = await page.request.get(`/api/runs/${demo!.runId}/result`);
  expect(result.ok()).toBe(true);
  const saved = fromSafetensors(new Uint8Array(await result.body())).tensors[
    LAYER0
  ]!;
  expect(saved.shape).toEqual([1, 12, TOKENS.length, TOKENS.length]);
  const cells = await table.getByTestId("attention-cell").evaluateAll((tds) =>
    tds.map((td) => ({
      q: Number(td.getAttribute("data-query")),
      k: Number(td.getAttribute("data-key")),
      value: Number(td.getAttribute("data-value")),
      text: td.textContent,
    })),
  );
  const n = TOKENS.length;
  expect(cells).toHaveLength(n * n);
  for (const { q, k, value, text } of cells) {
    expect(value).toBe(saved.data[(2 * n + q) * n + k]);
    expect(text).toBe(value.toFixed(3));
  }
  for (let q = 1; q < n; q++)
    expect(
      cells.find((c) => c.q === q && c.k === q - 1)!.value,
    ).toBeGreaterThan(0.99);

  const axe = await new AxeBuilder({ page }).analyze();
  expect(
    axe.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id}: ${v.help}`),
  ).toEqual([]);
  // The view with its switch, head 2 picked.
  const toggle = page.locator(
    `[data-testid="view-switch"][data-name="${LAYER0}"]`,
  );
  await toggle.screenshot({ path: path.join(shots, "attention.png") });

  // The same save as a plain tensor, and back.
  await toggle
    .getByRole("button", { name: "Tensor summary", exact: true })
    .click();
  await expect(toggle).toHaveAttribute("data-shown", "Tensor summary");
  await expect(toggle.getByTestId("result-tensor")).toContainText(
    "[1, 12, 13, 13]",
  );
  await expect(toggle.getByTestId("result-attention")).toHaveCount(0);
  await toggle.getByRole("button", { name: "Attention", exact: true }).click();
  await expect(toggle.getByTestId("result-attention")).toBeVisible();
});
