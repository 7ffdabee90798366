import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { runExportScript } from "./python-envs.ts";

const root = path.resolve(import.meta.dirname, "..", "..");
/** Where the benchmark model is cached (git-ignored: .loupe/ is local state). */
export const GPT2_SMALL_PATH = path.join(
  root,
  ".loupe",
  "cache",
  "bench",
  "gpt2-small.onnx",
);

/**
 * The path of a GPT-2-small-architecture ONNX export (random init, seed 0),
 * exported by export_gpt2_small.py with the peers' PyTorch and the export
 * overlay's transformers (exportPython) on first use (~1 minute, ~620 MiB)
 * and cached. No model hub is reachable, so the model is generated, not
 * fetched.
 */
export function ensureGpt2Small(): string {
  if (fs.existsSync(GPT2_SMALL_PATH)) return GPT2_SMALL_PATH;
  runExportScript({
    script: "export_gpt2_small.py",
    target: GPT2_SMALL_PATH,
    cost: "about a minute",
    log: (line) => console.log(`  ${line}`),
    exported: () => fs.existsSync(GPT2_SMALL_PATH),
  });
  return GPT2_SMALL_PATH;
}

/**
 * The export with its manifest beside it (gpt2-small.manifest.json), written by
 * `loupe models import` as a user would, so a worker can host it.
 */
export function ensureGpt2SmallImported(): string {
  const file = ensureGpt2Small();
  const manifest = file.replace(/\.onnx$/, ".manifest.json");
  if (fs.existsSync(manifest)) return file;
  const result = spawnSync(
    process.execPath,
    [
      path.join(root, "packages", "sdk", "bin", "loupe.mjs"),
      "models",
      "import",
      file,
      "--name",
      "gpt2-small",
    ],
    { stdio: "inherit", cwd: root },
  );
  if (result.status !== 0 || !fs.existsSync(manifest))
    throw new Error(
      `loupe models import ${path.relative(root, file)} failed (exit ${result.status ?? result.signal}): see its output above`,
    );
  return file;
}
