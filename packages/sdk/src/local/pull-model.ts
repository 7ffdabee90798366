import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { ApiClient } from "../client/api-client.ts";
import { LoupeClientError } from "../errors/loupe-client-error.ts";
import { cachedModelFile, findModelFile } from "./find-model-file.ts";
import type { LocalEngine } from "./load-engine.ts";

/** Where a pulled model is, and whether this pull fetched it. */
export interface PulledModel {
  readonly name: string;
  readonly hash: string;
  /** Its model.onnx on this machine. */
  readonly file: string;
  /** False when it was here already (bundled with the engine, or pulled before). */
  readonly pulled: boolean;
}

/**
 * Downloads a hosted model's files (the ONNX file, its external data, its
 * manifest and tokenizer: the folder the server hosts it from) into the model
 * cache, where local runs find it by its hash. The files are written to a
 * folder of their own and checked before it takes the model's place: the
 * manifest must have the hash the server registered, and the engine loads
 * them, which checks every weight and the tokenizer against that hash.
 */
export async function pullModel(
  api: ApiClient,
  engine: LocalEngine,
  name: string,
  cacheDir: string,
): Promise<PulledModel> {
  const { hash } = await api.call(`reading model ${name}`, (t) =>
    t.models.manifest.query({ model: name }),
  );
  const here = await findModelFile(engine, { name, hash }, cacheDir);
  if (here) return { name, hash, file: here, pulled: false };
  const file = cachedModelFile(cacheDir, hash);
  const folder = path.dirname(file);
  const partial = `${folder}.part-${process.pid}`;
  const hosted = parseFileList(
    await api.download(
      `/api/models/${encodeURIComponent(name)}/files`,
      `listing the files of model ${name}`,
    ),
    name,
  );
  await mkdir(partial, { recursive: true });
  try {
    const stem = hosted.onnx.slice(0, -path.extname(hosted.onnx).length);
    for (const each of hosted.files) {
      const bytes = await api.download(
        each.url,
        `downloading ${each.file} of model ${name}`,
      );
      await writeFile(
        path.join(partial, savedName(each.file, hosted.onnx, stem)),
        bytes,
      );
    }
    await checkPulled(engine, path.join(partial, "model.onnx"), name, hash);
    await rm(folder, { recursive: true, force: true });
    await rename(partial, folder);
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
  return { name, hash, file, pulled: true };
}

/** What the server lists of a model's files: which is the ONNX file, and each one's URL. */
interface ModelFileList {
  readonly onnx: string;
  readonly files: readonly { readonly file: string; readonly url: string }[];
}

/** The server's list of a model's files, checked (it crosses the network). */
function parseFileList(bytes: Uint8Array, name: string): ModelFileList {
  const list = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
  const { onnx, files } = (list ?? {}) as Partial<Record<string, unknown>>;
  const isFile = (f: unknown) =>
    typeof f === "object" &&
    f !== null &&
    typeof (f as { file?: unknown }).file === "string" &&
    typeof (f as { url?: unknown }).url === "string";
  if (typeof onnx !== "string" || !Array.isArray(files) || !files.every(isFile))
    throw new LoupeClientError(
      "SERVER_ERROR",
      `the server's list of the files of model ${name} is not { onnx, files: [{ file, url }] }`,
    );
  return { onnx, files: files as ModelFileList["files"] };
}

/** The model's ONNX file and manifest under the names the cache gives them; the rest as they are named. */
function savedName(file: string, onnx: string, stem: string): string {
  if (file === onnx) return "model.onnx";
  if (file === `${stem}.manifest.json`) return "model.manifest.json";
  return file;
}

/** Checks the pulled files are the model the server registered (see pullModel). */
async function checkPulled(
  engine: LocalEngine,
  onnx: string,
  name: string,
  hash: string,
): Promise<void> {
  const { manifest } = await engine.readImportedManifest(onnx);
  if (manifest.model.hash !== hash)
    throw new LoupeClientError(
      "LOCAL_MODEL_MISMATCH",
      `the server's files of model ${name} hold the model with hash ${manifest.model.hash ?? "none"}, not the ${hash} it runs; nothing was kept`,
    );
  // Loading hashes every file the model is made of against its manifest.
  const loaded = await engine.loadModelFiles(onnx);
  await loaded.close();
}
