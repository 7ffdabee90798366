import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..", "..");
const script = path.join(import.meta.dirname, "export_gpt2_small.py");
const venvPython = path.join(
  root,
  "packages",
  "engine",
  "fixtures",
  ".venv",
  "bin",
  "python",
);

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
 * exported by export_gpt2_small.py on first use (~1 minute, ~620 MiB) and
 * cached. No model hub is reachable, so the model is generated, not fetched.
 * Throws, naming the setup command, when the Python environment is missing.
 */
export function ensureGpt2Small(): string {
  if (fs.existsSync(GPT2_SMALL_PATH)) return GPT2_SMALL_PATH;
  if (!fs.existsSync(venvPython))
    throw new Error(
      `the engine benchmark exports its GPT-2 small model with PyTorch, but the Python virtualenv ${path.relative(root, venvPython)} does not exist: run packages/engine/fixtures/setup.sh once (apt + pip, a few minutes), then npm run bench again`,
    );
  console.log(
    `  exporting ${path.relative(root, GPT2_SMALL_PATH)} (once; about a minute)`,
  );
  const result = spawnSync(venvPython, [script, GPT2_SMALL_PATH], {
    stdio: "inherit",
  });
  if (result.status !== 0 || !fs.existsSync(GPT2_SMALL_PATH))
    throw new Error(
      `${path.relative(root, script)} failed (exit ${result.status ?? result.signal}): see its output above`,
    );
  return GPT2_SMALL_PATH;
}
