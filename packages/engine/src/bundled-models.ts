import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The models that come with the engine, by name: each one's folder under `models/`. */
const BUNDLED_MODELS: Readonly<Record<string, string>> = {
  "facts-gpt2": "facts",
};

/**
 * The models that come with @loupe/engine, by name, each the path of its
 * `model.onnx` (with `model.manifest.json` and `tokenizer.json` beside it), so
 * local runs of a bundled model need no files from the user. Each is looked
 * for in `models/<folder>` of this package (an installed package carries them
 * there), then in the repository's `models/<folder>` (in the monorepo, where
 * this package is `packages/engine`); a model found in neither is left out.
 *
 * @example
 * const loupe = createLoupe({ modelFiles: bundledModelFiles() });
 */
export function bundledModelFiles(): Record<string, string> {
  const root = packageRoot();
  const found: Record<string, string> = {};
  for (const [name, folder] of Object.entries(BUNDLED_MODELS)) {
    const onnx = [
      path.join(root, "models", folder, "model.onnx"),
      path.join(root, "..", "..", "models", folder, "model.onnx"),
    ].find(
      (file) =>
        existsSync(file) &&
        existsSync(path.join(path.dirname(file), "model.manifest.json")),
    );
    if (onnx) found[name] = onnx;
  }
  return found;
}

/**
 * The folder of this package's package.json: found by walking up from this
 * module, since the module runs from `src/` in the monorepo and from wherever
 * a build puts it in an installed package.
 */
function packageRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = path.dirname(dir)) {
    if (isEnginePackage(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) return path.dirname(here);
  }
}

function isEnginePackage(file: string): boolean {
  try {
    return (
      (JSON.parse(readFileSync(file, "utf8")) as { name?: unknown }).name ===
      "@loupe/engine"
    );
  } catch {
    return false;
  }
}
