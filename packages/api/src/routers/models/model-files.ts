import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { findModelHosting, type Database } from "@loupe/db";
import { LoupeError, notFound } from "../../errors/loupe-error.ts";

/** Where one of a hosted model's files is served (see openModelFile). */
export const modelFileUrlOf = (model: string, file: string) =>
  `/api/models/${encodeURIComponent(model)}/files/${encodeURIComponent(file)}`;

/** One of a hosted model's files, as `loupe models pull` fetches it. */
export interface ModelFile {
  readonly file: string;
  readonly bytes: number;
  readonly url: string;
}

/**
 * A hosted model's files, for `loupe models pull`: every plain file in the
 * folder of the .onnx its hosting records (its manifest, tokenizer and
 * external data files with it), as a worker fetching a model from S3 takes
 * its whole folder: one model per folder. `onnx` names the model file among
 * them. Only a model hosted from a path this server can read has its files
 * served; one hosted from S3 is refused with how to fetch it instead.
 */
export async function listModelFiles(
  db: Database,
  model: string,
): Promise<{ onnx: string; files: ModelFile[] }> {
  const onnx = await modelPathOf(db, model);
  const dir = path.dirname(onnx);
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => {
    throw notFound(`the folder of model ${model}'s files on this server`);
  });
  const files: ModelFile[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || entry.name.startsWith(".")) continue;
    const { size } = await stat(path.join(dir, entry.name));
    files.push({
      file: entry.name,
      bytes: size,
      url: modelFileUrlOf(model, entry.name),
    });
  }
  return { onnx: path.basename(onnx), files };
}

/**
 * The path of one of a hosted model's files (a plain file directly in the
 * folder of its .onnx, see listModelFiles) and its size; NOT_FOUND for any
 * other name.
 */
export async function openModelFile(
  db: Database,
  model: string,
  file: string,
): Promise<{ path: string; bytes: number }> {
  const dir = path.dirname(await modelPathOf(db, model));
  const missing = () => notFound(`file ${file} of model ${model}`);
  if (file.startsWith(".") || file !== path.basename(file)) throw missing();
  const full = path.join(dir, file);
  const found = await stat(full).catch(() => undefined);
  if (!found?.isFile()) throw missing();
  return { path: full, bytes: found.size };
}

/** The .onnx its hosting records, when it is a path this server serves from. */
async function modelPathOf(db: Database, model: string): Promise<string> {
  const hosting = await findModelHosting(db, model);
  const source = hosting?.source;
  if (!source) throw notFound(`the files of model ${model}`);
  if (source.kind === "s3")
    throw new LoupeError(
      { code: "NOT_FOUND" },
      `model ${model} is hosted from ${source.url}, and this server serves only the files of models hosted from a path it can read: copy its folder with \`aws s3 cp --recursive ${source.url.slice(0, source.url.lastIndexOf("/") + 1)} <folder>\` and give its files with --model-file ${model}=<folder>/${source.url.slice(source.url.lastIndexOf("/") + 1)}`,
    );
  return source.path;
}
