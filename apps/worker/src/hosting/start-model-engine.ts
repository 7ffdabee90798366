import { EngineThread, type EngineOptions } from "@loupe/engine";

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
