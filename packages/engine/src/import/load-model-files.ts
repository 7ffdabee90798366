import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { manifestSchema, type Manifest } from "@loupe/graph";
import { LoupeEngine, type EngineOptions } from "../engine.ts";
import { modelHash } from "./import-onnx-model.ts";
import { readRawModel } from "../onnx/onnx-bytes.ts";
import { weightBytesOf } from "../weights/admit-model.ts";
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

/**
 * Reads an imported model from disk: `<stem>.onnx`, the `<stem>.manifest.json`
 * written by `loupe models import`, and the tokenizer it records. Checks that
 * the ONNX file, its external data files and the tokenizer are the ones
 * imported (model hash, tokenizer SHA-256), so a result's model hash always
 * names the weights that made it. External data is hashed in chunks, never
 * held: `bytes` is the .onnx file alone.
 */
export async function readModelFiles(onnxPath: string): Promise<ModelFiles> {
  const manifestPath = manifestPathOf(onnxPath);
  const read = async (file: string, what: string) => {
    try {
      return await readFile(file);
    } catch (error) {
      throw new ModelFilesError(
        `cannot read ${what} ${file}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  };
  // A view of the file's buffer, not a copy: a copy would hold the model's
  // bytes twice (GPT-2 small: 622 MiB more) for the life of the process.
  const file = await read(onnxPath, "model");
  const bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
  const wrapper = JSON.parse(
    (await read(manifestPath, "manifest")).toString("utf8"),
  ) as {
    manifest?: unknown;
    tokenizer?: { file: string; sha256: string } | null;
  };
  const parsed = manifestSchema.safeParse(wrapper.manifest);
  if (!parsed.success)
    throw new ModelFilesError(
      `${manifestPath} holds no valid manifest (write it with \`loupe models import ${onnxPath}\`)`,
    );
  const manifest: Manifest = parsed.data;
  const { hash } = manifest.model;
  const expected = await modelHash(bytes, manifest, path.dirname(onnxPath));
  if (hash !== expected)
    throw new ModelFilesError(
      `${onnxPath} is not the file ${manifestPath} was imported from (model hash ${hash ?? "missing"}, file gives ${expected}); run \`loupe models import\` again`,
    );
  let tokenizer: unknown;
  if (wrapper.tokenizer) {
    const file = path.resolve(
      path.dirname(manifestPath),
      wrapper.tokenizer.file,
    );
    const text = await read(file, "tokenizer");
    const sha = createHash("sha256").update(text).digest("hex");
    if (sha !== wrapper.tokenizer.sha256.replace(/^sha256:/, ""))
      throw new ModelFilesError(
        `${file} changed since the model was imported (sha256 ${sha}); run \`loupe models import\` again`,
      );
    tokenizer = JSON.parse(text.toString("utf8"));
  }
  return { bytes, manifest, tokenizer };
}

/** Loads an imported model from disk (see readModelFiles) into an engine in this thread. */
export async function loadModelFiles(
  onnxPath: string,
  options: EngineOptions = {},
): Promise<LoupeEngine> {
  const { bytes, manifest, tokenizer } = await readModelFiles(onnxPath);
  return LoupeEngine.load(
    bytes,
    manifest,
    tokenizer === undefined ? undefined : loadTokenizer(tokenizer),
    { externalDataDir: path.dirname(onnxPath), ...options },
  );
}

/**
 * The bytes of an imported model's weights, read off its ONNX file's
 * structure (external data files are not read): what admission checks
 * against a memory budget before loading anything.
 */
export async function readModelSize(
  onnxPath: string,
): Promise<{ readonly weightBytes: number }> {
  let file: Buffer;
  try {
    file = await readFile(onnxPath);
  } catch (error) {
    throw new ModelFilesError(
      `cannot read model ${onnxPath}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return { weightBytes: weightBytesOf(readRawModel(file)) };
}
