import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { manifestSchema, type Manifest } from "@loupe/graph";
import { LoupeEngine, type EngineOptions } from "../engine.ts";
import { modelFileHash, modelHash } from "./model-hash.ts";
import { readRawModel } from "../onnx/onnx-bytes.ts";
import { externalDataFiles } from "../weights/external-data-files.ts";
import {
  externalizeModelFile,
  readWeightBytes,
} from "../weights/externalize-model-file.ts";
import {
  defaultWeightsDir,
  INLINE_WEIGHTS_FILE,
} from "../weights/store-weights.ts";
import { loadTokenizer } from "@loupe/graph";

/** Raised when a model's files on disk are missing or do not belong together. */
export class ModelFilesError extends Error {
  override readonly name = "ModelFilesError";
  readonly code = "MODEL_FILES";
}

/** The manifest file `loupe models import` writes beside `model.onnx`. */
export const manifestPathOf = (onnxPath: string) =>
  path.join(
    path.dirname(onnxPath),
    `${path.basename(onnxPath, path.extname(onnxPath))}.manifest.json`,
  );

/** An imported model's files, read and checked (see readModelFiles). */
export interface ModelFiles {
  readonly bytes: Uint8Array;
  readonly manifest: Manifest;
  /** The parsed tokenizer.json, when the import recorded one. */
  readonly tokenizer: unknown;
}

/** A model file at least this big is never read whole: its weights are copied from it in chunks. */
const STREAMED_BYTES = 128 * 2 ** 20;

async function readOrThrow(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new ModelFilesError(
      `cannot read ${what} ${file}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * The manifest `loupe models import` wrote beside a model, and the tokenizer
 * it records (checked against its SHA-256). The model file is not read.
 */
export async function readImportedManifest(
  onnxPath: string,
): Promise<{ manifest: Manifest; tokenizer: unknown }> {
  const manifestPath = manifestPathOf(onnxPath);
  const wrapper = JSON.parse(
    (await readOrThrow(manifestPath, "manifest")).toString("utf8"),
  ) as {
    manifest?: unknown;
    tokenizer?: { file: string; sha256: string } | null;
  };
  const parsed = manifestSchema.safeParse(wrapper.manifest);
  if (!parsed.success)
    throw new ModelFilesError(
      `${manifestPath} holds no valid manifest (write it with \`loupe models import ${onnxPath}\`)`,
    );
  let tokenizer: unknown;
  if (wrapper.tokenizer) {
    const file = path.resolve(
      path.dirname(manifestPath),
      wrapper.tokenizer.file,
    );
    const text = await readOrThrow(file, "tokenizer");
    const sha = createHash("sha256").update(text).digest("hex");
    if (sha !== wrapper.tokenizer.sha256.replace(/^sha256:/, ""))
      throw new ModelFilesError(
        `${file} changed since the model was imported (sha256 ${sha}); run \`loupe models import\` again`,
      );
    tokenizer = JSON.parse(text.toString("utf8"));
  }
  return { manifest: parsed.data, tokenizer };
}

function checkHash(onnxPath: string, manifest: Manifest, expected: string) {
  const { hash } = manifest.model;
  if (hash !== expected)
    throw new ModelFilesError(
      `${onnxPath} is not the file ${manifestPathOf(onnxPath)} was imported from (model hash ${hash ?? "missing"}, file gives ${expected}); run \`loupe models import\` again`,
    );
}

/**
 * Reads an imported model from disk: `<stem>.onnx`, the `<stem>.manifest.json`
 * written by `loupe models import`, and the tokenizer it records. Checks that
 * the ONNX file, its external data files and the tokenizer are the ones
 * imported (model hash, tokenizer SHA-256), so a result's model hash always
 * names the weights that made it. External data is hashed in chunks, never
 * held: `bytes` is the .onnx file alone. To load a model, prefer
 * `loadModelFiles`, which never holds a large file whole.
 */
export async function readModelFiles(onnxPath: string): Promise<ModelFiles> {
  const { manifest, tokenizer } = await readImportedManifest(onnxPath);
  // A view of the file's buffer, not a copy.
  const file = await readOrThrow(onnxPath, "model");
  const bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
  checkHash(
    onnxPath,
    manifest,
    await modelHash(bytes, manifest, path.dirname(onnxPath)),
  );
  return { bytes, manifest, tokenizer };
}

/**
 * Loads an imported model from disk (checked as readModelFiles checks it)
 * into an engine in this thread. A model file of 128 MiB or more that keeps
 * its weights inline is never read whole: it is hashed in chunks, and its
 * weights are copied from it into the engine's weights file in chunks (see
 * externalizeModelFile), so loading takes no more memory than the weights'
 * pages that runs touch.
 */
export async function loadModelFiles(
  onnxPath: string,
  options: EngineOptions = {},
): Promise<LoupeEngine> {
  const size = await stat(onnxPath).then(
    (s) => s.size,
    (error: unknown) => {
      throw new ModelFilesError(
        `cannot read model ${onnxPath}: ${(error as Error).message}`,
        { cause: error },
      );
    },
  );
  if (size < STREAMED_BYTES) {
    const { bytes, manifest, tokenizer } = await readModelFiles(onnxPath);
    return LoupeEngine.load(
      bytes,
      manifest,
      tokenizer === undefined ? undefined : loadTokenizer(tokenizer),
      { externalDataDir: path.dirname(onnxPath), ...options },
    );
  }
  const { manifest, tokenizer } = await readImportedManifest(onnxPath);
  const key = (manifest.model.hash ?? "").replace(/^sha256:/, "");
  if (!key)
    throw new ModelFilesError(
      `${manifestPathOf(onnxPath)} has no model hash; run \`loupe models import\` again`,
    );
  const folder = path.join(
    options.weightsDir ?? defaultWeightsDir(),
    key.slice(0, 40),
  );
  const walked = externalizeModelFile(onnxPath);
  const external = externalDataFiles(readRawModel(walked.model)).filter(
    (f) => f !== INLINE_WEIGHTS_FILE,
  );
  // Checked before anything is written: a weights file is reused by its name.
  checkHash(
    onnxPath,
    manifest,
    await modelFileHash(onnxPath, manifest, external),
  );
  if (external.length > 0)
    // Weights both inline and in external files: one folder cannot map both.
    return LoupeEngine.load(
      (await readModelFiles(onnxPath)).bytes,
      manifest,
      tokenizer === undefined ? undefined : loadTokenizer(tokenizer),
      { externalDataDir: path.dirname(onnxPath), ...options },
    );
  walked.writeWeights(folder);
  return LoupeEngine.load(
    walked.model,
    manifest,
    tokenizer === undefined ? undefined : loadTokenizer(tokenizer),
    { ...options, externalDataDir: folder },
  );
}

/**
 * The bytes of an imported model's weights, read off its ONNX file's
 * structure (weights' data is skipped, external data files are not read):
 * what admission checks against a memory budget before loading anything.
 */
export function readModelSize(onnxPath: string): Promise<{
  readonly weightBytes: number;
}> {
  try {
    return Promise.resolve({ weightBytes: readWeightBytes(onnxPath) });
  } catch (error) {
    return Promise.reject(
      new ModelFilesError(
        `cannot read model ${onnxPath}: ${(error as Error).message}`,
        { cause: error },
      ),
    );
  }
}
