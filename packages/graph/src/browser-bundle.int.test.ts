import fs from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Gpt2Small } from "./examples/gpt2-small-model.ts";
import { canonicalJson } from "./format/canonical-json.ts";
import type { serializeGraph as SerializeGraph } from "./format/serialize-graph.ts";
import type { Manifest } from "./manifest/manifest-schema.ts";
import type { createModel as CreateModel } from "./trace/model.ts";
import type { TensorValue } from "./trace/tensor-value.ts";

// The package bundled for browsers (no Node builtins, no polyfills) builds, and
// the paper's Example 4 graph is constructed from that bundle inside Chromium.
const root = path.resolve(import.meta.dirname, "..");
let browser: Browser;

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
});
afterAll(() => browser?.close());

it("builds for the browser and builds Example 4 there, equal to the golden graph", async () => {
  const bundle = await build({
    entryPoints: [path.join(root, "src", "index.ts")],
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  const code = bundle.outputFiles[0]!.text;
  expect(code).not.toMatch(/require\(["']node:/);
  const manifest = fs.readFileSync(
    path.join(root, "fixtures", "gpt2-small.manifest.json"),
    "utf8",
  );
  const page = await browser.newPage();
  await page.setContent("<!doctype html><title>graph</title>");
  await page.addScriptTag({
    type: "module",
    content: `${code}\nglobalThis.loupeGraph = { createModel, serializeGraph, hashGraph };`,
  });
  await page.waitForFunction(() => "loupeGraph" in globalThis);
  const serialized = await page.evaluate((manifestText) => {
    type Api = {
      createModel: typeof CreateModel;
      serializeGraph: typeof SerializeGraph;
    };
    const { createModel, serializeGraph } = (
      globalThis as unknown as { loupeGraph: Api }
    ).loupeGraph;
    const lm = createModel<Gpt2Small>(JSON.parse(manifestText) as Manifest);
    const graph = lm.trace((tracer) => {
      let hidden: TensorValue | undefined;
      tracer.invoke("The Colosseum is located in the city of", () => {
        hidden = lm.layers[5].output[0].get(":", 6, ":");
      });
      tracer.invoke("The Louvre is located in the city of", () => {
        lm.layers[5].output[0].set([":", 5, ":"], hidden!);
        lm.output.item("logits").save("logits");
      });
    });
    return serializeGraph(graph);
  }, manifest);
  const golden = fs.readFileSync(
    path.join(root, "golden", "v1", "example-4-patching.json"),
    "utf8",
  );
  expect(serialized).toBe(canonicalJson(JSON.parse(golden)));
  await page.close();
});
