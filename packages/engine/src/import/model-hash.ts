import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import path from "node:path";
import { canonicalJson, type Manifest } from "@loupe/graph";
import { OnnxDecodeError, readRawModel } from "../onnx/onnx-bytes.ts";
import { externalDataFiles } from "../weights/external-data-files.ts";

/**
 * The model hash: SHA-256 of the ONNX file's bytes, then of each external
 * data file it names (in the order it first names them, read in chunks),
 * then of the canonical manifest (without its own `hash`), so it changes with
 * any weight or the manifest. A model without external data hashes as before
 * external data was read.
 */
export async function modelHash(
  bytes: Uint8Array,
  manifest: Manifest,
  externalDataDir?: string,
): Promise<string> {
  const files = externalDataFiles(readRawModel(bytes));
  if (files.length > 0 && externalDataDir === undefined)
    throw new OnnxDecodeError(
      `the model keeps weights in the external file ${files[0]}; give the folder it is in (import it from its path)`,
    );
  const hash = createHash("sha256").update(bytes);
  for (const file of files)
    await hashFile(hash, path.resolve(externalDataDir!, file));
  return finish(hash, manifest);
}

/**
 * The same hash of a model on disk, its .onnx file read in chunks too (for
 * files too big to hold): `externalFiles` are the external data files it
 * names, in order, relative to its folder.
 */
export async function modelFileHash(
  onnxPath: string,
  manifest: Manifest,
  externalFiles: readonly string[],
): Promise<string> {
  const hash = createHash("sha256");
  await hashFile(hash, onnxPath);
  for (const file of externalFiles)
    await hashFile(hash, path.resolve(path.dirname(onnxPath), file));
  return finish(hash, manifest);
}

async function hashFile(hash: Hash, file: string): Promise<void> {
  try {
    for await (const chunk of createReadStream(file, {
      highWaterMark: 1 << 20,
    }))
      hash.update(chunk as Buffer);
  } catch (error) {
    throw new OnnxDecodeError(
      `cannot read the model's file ${file}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

function finish(hash: Hash, manifest: Manifest): string {
  const { hash: _ignored, ...model } = manifest.model;
  return `sha256:${hash.update(canonicalJson({ ...manifest, model })).digest("hex")}`;
}
