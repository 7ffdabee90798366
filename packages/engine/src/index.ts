/**
 * @loupe/engine: runs intervention graphs on ONNX models with onnxruntime-node
 * (model import, hooked execution, batching, session cache). Used by the worker
 * and by the SDK's local runs. Start at `LoupeEngine` (src/engine.ts); the
 * README of this package lists this API and explains how a graph becomes ONNX
 * Runtime sessions.
 */
export { bundledModelFiles } from "./bundled-models.ts";
export { OnnxDecodeError } from "./onnx/onnx-bytes.ts";
export { appendGraphOutputs } from "./onnx/append-graph-outputs.ts";
export { importOnnxModel } from "./import/import-onnx-model.ts";
export {
  loadModelFiles,
  readModelSize,
  readImportedManifest,
  manifestPathOf,
} from "./import/load-model-files.ts";
export {
  LoupeEngine,
  MemoryBudgetError,
  DEFAULT_SESSION_OPTIONS,
  type EngineOptions,
  type RunOptions,
} from "./engine.ts";
export type { RunResult } from "./run/run-result.ts";
export type { TokenEvent } from "./run/generate.ts";
export type { EngineMetrics } from "./run/session-cache.ts";
export { ModelAdmissionError } from "./weights/admit-model.ts";
export { EngineThread } from "./thread/engine-thread-client.ts";
