import { readFile } from "node:fs/promises";
import path from "node:path";
import { EngineThread, manifestPathOf } from "@loupe/engine";
import { manifestSchema, type Manifest } from "@loupe/graph";

/** What the worker itself needs of an imported model's files: small, no weights. */
export interface ImportedModelMeta {
  readonly manifest: Manifest;
  /** The parsed tokenizer.json (undefined: the model has none). */
  readonly tokenizer: unknown;
}

/**
 * Starts an engine thread on an imported model (`<stem>.onnx` with the
 * `<stem>.manifest.json` that `loupe models import` wrote beside it, its
 * tokenizer and external data files). The thread reads and checks the files
 * itself (model hash, tokenizer SHA-256) and maps the weights: no model bytes
 * cross threads, and this thread holds none of them.
 */
export function startModelEngine(onnxPath: string): Promise<EngineThread> {
  return EngineThread.startFromFile(onnxPath);
}

/**
 * Reads an imported model's manifest and tokenizer (kilobytes to a few MB),
 * never its weights: the worker validates graphs against the manifest and
 * stores the tokenizer for SDKs. Errors name the file and what is wrong.
 */
export async function readImportedModelMeta(
  onnxPath: string,
): Promise<ImportedModelMeta> {
  const file = manifestPathOf(onnxPath);
  let wrapper: {
    manifest?: unknown;
    tokenizer?: { file: string } | null;
  };
  try {
    wrapper = JSON.parse(await readFile(file, "utf8")) as typeof wrapper;
  } catch (error) {
    throw new Error(
      `cannot read the manifest ${file} (write it with \`loupe models import ${onnxPath}\`): ${(error as Error).message}`,
      { cause: error },
    );
  }
  const parsed = manifestSchema.safeParse(wrapper.manifest);
  if (!parsed.success)
    throw new Error(
      `${file} holds no valid manifest (write it with \`loupe models import ${onnxPath}\`)`,
    );
  let tokenizer: unknown;
  if (wrapper.tokenizer) {
    const tokenizerFile = path.resolve(
      path.dirname(file),
      wrapper.tokenizer.file,
    );
    tokenizer = JSON.parse(await readFile(tokenizerFile, "utf8"));
  }
  return { manifest: parsed.data, tokenizer };
}
