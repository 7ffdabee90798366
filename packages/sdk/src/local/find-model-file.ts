import { access } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { LocalEngine } from "./load-engine.ts";

/** A hosted model as the server names it: its name and its model hash. */
export interface HostedModelId {
  readonly name: string;
  readonly hash: string;
}

/**
 * Where pulled models are kept: `$LOUPE_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/loupe/models`, else `~/.cache/loupe/models`. Each model
 * is a folder named after its model hash (see cachedModelFile).
 */
export function modelCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LOUPE_CACHE_DIR) return env.LOUPE_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, "loupe", "models");
}

/**
 * The `model.onnx` of a model in the cache, by its model hash: the folder is
 * the hash's hex digits, and holds `model.onnx`, `model.manifest.json` and
 * the files they name (external data, tokenizer).
 */
export function cachedModelFile(cacheDir: string, hash: string): string {
  return path.join(cacheDir, hash.replace(/^sha256:/, ""), "model.onnx");
}

/**
 * The `model.onnx` on this machine that holds the hosted model `model`, or
 * undefined: one of the engine's bundled models, then one pulled into the
 * cache. A candidate counts only when its manifest has the hosted model's
 * hash, so a local run uses the weights the server runs (the engine checks
 * the files against that hash again when it loads them).
 */
export async function findModelFile(
  engine: Pick<LocalEngine, "bundledModelFiles" | "readImportedManifest">,
  model: HostedModelId,
  cacheDir: string,
): Promise<string | undefined> {
  const candidates = [
    engine.bundledModelFiles()[model.name],
    cachedModelFile(cacheDir, model.hash),
  ];
  for (const file of candidates) {
    if (file === undefined || !(await exists(file))) continue;
    const { manifest } = await engine.readImportedManifest(file);
    if (manifest.model.hash === model.hash) return file;
  }
  return undefined;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
