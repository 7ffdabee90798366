import {
  EngineThread,
  readImportedManifest,
  type EngineOptions,
} from "@loupe/engine";
import type { Manifest } from "@loupe/graph";

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
 * cross threads, and this thread holds none of them. With
 * `memoryBudgetBytes`, the engine splits batches that would not fit it.
 */
export function startModelEngine(
  onnxPath: string,
  options: Pick<EngineOptions, "memoryBudgetBytes" | "weightsDir"> = {},
): Promise<EngineThread> {
  return EngineThread.startFromFile(onnxPath, options);
}

/**
 * Reads an imported model's manifest and tokenizer (kilobytes to a few MB;
 * the tokenizer checked against the SHA-256 the import recorded), never its
 * weights: the worker validates graphs against the manifest and stores the
 * tokenizer for SDKs. Errors name the file and what is wrong.
 */
export function readImportedModelMeta(
  onnxPath: string,
): Promise<ImportedModelMeta> {
  return readImportedManifest(onnxPath);
}
