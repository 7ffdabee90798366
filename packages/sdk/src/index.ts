/**
 * @loupe/sdk: trace, patch and steer model internals from TypeScript scripts,
 * in this process (with @loupe/engine, an optional dependency) or on a Loupe
 * server (through its tRPC API), with the same code and the same results.
 * Start at `createLoupe` (src/client/loupe.ts); the `loupe` CLI is src/cli.
 */
export { SDK_VERSION } from "./version.ts";
export {
  createLoupe,
  Loupe,
  type LoupeOptions,
  type HostedModel,
} from "./client/loupe.ts";
export {
  configPath,
  readConfig,
  writeConfig,
  DEFAULT_URL,
  type LoupeConfig,
} from "./client/config-file.ts";
export type {
  LoupeModel,
  LoupeModelMethods,
  SessionBuilder,
  TraceOptions,
  GeneratedToken,
} from "./models/loupe-model.ts";
export { TraceResult } from "./results/trace-result.ts";
export { Tensor, TensorError, type NestedArray } from "./results/tensor.ts";
export {
  RunHandle,
  type StatusListener,
  type WaitOptions,
} from "./runs/run-handle.ts";
export {
  describeStatus,
  type RunState,
  type RunStatus,
} from "./runs/run-status.ts";
export {
  ExperimentsClient,
  type ExperimentCard,
  type GalleryCard,
  type GalleryPage,
  type VersionRef,
  type Visibility,
} from "./experiments/experiments-client.ts";
export {
  LoupeClientError,
  GraphInvalidError,
  QuotaExceededError,
  RunLimitExceededError,
  ModelUnavailableError,
  UnauthorizedError,
  ServerUnreachableError,
  ResultTooLargeError,
  RunEndedError,
  SdkVersionUnsupportedError,
  NotLoupeServerError,
  AmbiguousIdError,
  type GraphIssue,
  type LoupeClientErrorCode,
} from "./errors/loupe-client-error.ts";
// The tracing vocabulary scripts and generated model types use.
export {
  TraceError,
  GraphValidationError,
  constant,
  concat,
  stack,
  where,
  type Envoy,
  type ModuleEnvoy,
  type SourceEnvoy,
  type SourceOpEnvoy,
  type ModuleValue,
  type TupleValue,
  type TensorValue,
  type Tracer,
  type TraceInput,
  type GenerateTracer,
  type GenerateOptionsInput,
  type StepsInput,
  type Graph,
  type GenericModules,
  type Model,
  type ModelBase,
  type TextTokenizer,
} from "@loupe/graph";
// The paper's examples as graph builders (examples/ runs what they build).
export {
  buildForwardGraph,
  buildNeuronsGraph,
  buildActivationPatchingGraph,
  buildLogitLensGraph,
  buildSteeringGraph,
  buildSteeredGenerationGraph,
  buildPatchingSweepGraph,
  buildAttributionPatchingGraph,
  ATTRIBUTION_SAVE,
} from "@loupe/graph";
export {
  defineScript,
  importScript,
  runIfMain,
  type LoupeScript,
  type ScriptContext,
} from "./scripts/loupe-script.ts";
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
