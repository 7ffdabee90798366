/**
 * @loupe/engine: runs intervention graphs on ONNX models with onnxruntime-node
 * (model import, hooked execution, batching, session cache). Used by the worker
 * and by the SDK's local runs. Start at `LoupeEngine` (src/engine.ts); the
 * README of this package explains how a graph becomes ONNX Runtime sessions.
 */
export {
  readRawModel,
  OnnxDecodeError,
  type RawModel,
  type RawNode,
  type RawInitializer,
  type ValueInfo,
  type ExternalData,
} from "./onnx/onnx-bytes.ts";
export {
  extractModuleTree,
  scopeOfNode,
  type ModuleTree,
  type RecoveredModule,
  type RecoveredCall,
} from "./onnx/extract-module-tree.ts";
export { appendGraphOutputs } from "./onnx/append-graph-outputs.ts";
export {
  probeTensorTypes,
  UnsupportedTensorError,
  type ProbedType,
} from "./import/probe-tensor-types.ts";
export {
  importOnnxModel,
  type ImportedModel,
} from "./import/import-onnx-model.ts";
export {
  ARCHITECTURE_PROFILES,
  type ArchitectureProfile,
} from "./import/architecture-profiles.ts";
export {
  LoupeEngine,
  MemoryBudgetError,
  DEFAULT_CACHE_BUDGET_BYTES,
  DEFAULT_SESSION_OPTIONS,
  type EngineOptions,
  type RunRequest,
  type UncheckedRunRequest,
  type RunResult,
  type RunOptions,
} from "./engine.ts";
export type { TokenEvent } from "./run/generate.ts";
export type { GeneratedRow, StopReason } from "./run/batch-step.ts";
export type { EngineMetrics } from "./run/session-cache.ts";
export type { IsolationMetrics } from "./run/isolate-failures.ts";
export type { MemoryCategory, MemoryMetrics } from "./run/memory-metrics.ts";
export { ModelAdmissionError, formatBytes } from "./weights/admit-model.ts";
export { WeightStoreError } from "./weights/weight-store-error.ts";
export { RunError } from "./run/run-batch.ts";
export type { RunUsage } from "./run/batch-step.ts";
export {
  EngineThread,
  EngineThreadError,
} from "./thread/engine-thread-client.ts";
export { toSaved, fromSaved } from "./run/tensors.ts";
export {
  loadModelFiles,
  readModelFiles,
  readModelSize,
  readImportedManifest,
  manifestPathOf,
  ModelFilesError,
  type ModelFiles,
} from "./import/load-model-files.ts";
