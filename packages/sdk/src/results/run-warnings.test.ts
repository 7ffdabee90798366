import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { createLoupe } from "../client/loupe.ts";

// A generation asking for the key/value cache on an export without one
// (issue 20, finding 8): the engine's fixture gpt2-tiny, imported with the
// real CLI into a temporary folder, run on this machine.
const sdk = path.resolve(import.meta.dirname, "..", "..");
const fixtures = path.resolve(sdk, "..", "engine", "fixtures");
const dir = mkdtempSync(path.join(tmpdir(), "loupe-warnings-"));
const model = path.join(dir, "gpt2-tiny.onnx");
cpSync(path.join(fixtures, "gpt2-tiny.onnx"), model);
cpSync(path.join(fixtures, "tokenizer.json"), path.join(dir, "tokenizer.json"));
const imported = spawnSync(
  process.execPath,
  [
    path.join(sdk, "bin", "loupe.mjs"),
    "models",
    "import",
    model,
    "--tokenizer",
    path.join(dir, "tokenizer.json"),
  ],
  { encoding: "utf8" },
);
const loupe = createLoupe({ modelFiles: { "gpt2-tiny": model } });
afterAll(async () => {
  await loupe.close();
  rmSync(dir, { recursive: true, force: true });
});

it("a local generation with kvCache: true on an export without a cache warns, in the result and as a process warning", async () => {
  expect(imported.status, imported.stderr).toBe(0);
  const lm = await loupe.model("gpt2-tiny");
  const warnings: Error[] = [];
  const listen = (w: Error) => warnings.push(w);
  process.on("warning", listen);
  try {
    const result = await lm.generate(
      "Hello",
      { maxNewTokens: 2, kvCache: true },
      () => {},
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain(
      "asked for the key/value cache (kvCache: true), but the model's export has none",
    );
    expect(result.tokens()).toHaveLength(2);
    expect(
      warnings.map((w) => [(w as { code?: string }).code, w.message]),
    ).toEqual([["LOUPE_RUN_WARNING", result.warnings[0]]]);
    // The default (a cache if there is one) is quiet.
    const quiet = await lm.generate("Hello", { maxNewTokens: 2 }, () => {});
    await new Promise((resolve) => setImmediate(resolve));
    expect(quiet.warnings).toEqual([]);
    expect(warnings).toHaveLength(1);
  } finally {
    process.off("warning", listen);
  }
});
