/**
 * @loupe/sdk: the client SDK and the `loupe` CLI. Remote calls go through tRPC
 * (the API's router type only); local runs will load @loupe/engine dynamically.
 */
export { SDK_VERSION } from "./version.ts";
export { buildProgram } from "./cli/main.ts";
export {
  loadEngine,
  EngineLoadError,
  type LocalEngine,
} from "./local/load-engine.ts";
export {
  importModelFile,
  type ImportModelFileOptions,
  type ModelFileImport,
} from "./models/import-model-file.ts";
export type { ImportedModelFile } from "./models/imported-model-file.ts";
export {
  ModelImportError,
  type ModelImportErrorCode,
} from "./models/model-import-error.ts";
export { Tensor, TensorError, type NestedArray } from "./results/tensor.ts";
