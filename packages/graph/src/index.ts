/**
 * @loupe/graph: the intervention graph. Tracing API (build graphs from a model
 * manifest), the versioned JSON format, validation, the manifest schema, and
 * the format of a run's results (saved tensors, read and written as safetensors),
 * and text inputs' tokenizer (tokenizer.json, through @huggingface/tokenizers).
 * Pure TypeScript: no Node builtins, no native modules, so the same code runs in
 * browsers, in Temporal workflows and in Node.
 */
export {
  createModel,
  type Model,
  type ModelBase,
  type GenericModules,
  type Tracer,
  type TraceInput,
  type GenerateTracer,
  type GenerateOptionsInput,
  type StepsInput,
} from "./trace/model.ts";
export {
  stepSaveName,
  generatedName,
  savedSteps,
  generatedIds,
} from "./results/generation.ts";
export { generateModelTypes } from "./typegen/generate-model-types.ts";
export type {
  Envoy,
  ModuleEnvoy,
  ModuleValue,
  SourceEnvoy,
  SourceOpEnvoy,
  TupleValue,
} from "./trace/envoy.ts";
export {
  TensorValue,
  constant,
  tensorInput,
  concat,
  stack,
  where,
  type Operand,
  type ModuleTarget,
} from "./trace/tensor-value.ts";
export { TraceError, type TraceErrorCode } from "./trace/trace-error.ts";
export {
  encodeConstant,
  decodeElements,
  type NestedValues,
} from "./trace/encode-constant.ts";
export {
  manifestSchema,
  type Manifest,
  type ModuleSpec,
  type ModuleCall,
  type SourceOp,
  type TensorSpec,
} from "./manifest/manifest-schema.ts";
export { ModuleIndex } from "./manifest/module-index.ts";
export {
  describeSite,
  siteTensors,
  sourceOp,
  type HookSite,
  type HookSlot,
  type SiteTensors,
} from "./manifest/hook-site.ts";
export {
  tokenLimitBreach,
  tokenLimits,
  type TokenLimitBreach,
  type TokenLimits,
} from "./manifest/token-limits.ts";
export { STANDARD_ALIASES } from "./manifest/standard-aliases.ts";
export {
  graphSchema,
  graphNodeSchema,
  nodeSchemas,
  GRAPH_FORMAT,
  GRAPH_FORMAT_VERSION,
  type Graph,
  type GraphNode,
  type InvokeInput,
  type GenerateOptions,
  type StepRange,
} from "./format/graph-schema.ts";
export {
  parseGraph,
  parseGraphOrThrow,
  GraphFormatError,
  type ParseResult,
} from "./format/parse-graph.ts";
export type { FormatIssue } from "./format/format-issue.ts";
export { serializeGraph } from "./format/serialize-graph.ts";
export { canonicalJson } from "./format/canonical-json.ts";
export { hashGraph } from "./format/hash-graph.ts";
export {
  inputTokenBounds,
  type InputTokenBounds,
} from "./format/input-token-bounds.ts";
export { DTYPES, bytesPerElement, type DType } from "./ir/dtype.ts";
export {
  toFloat16Bits,
  fromFloat16Bits,
  toFloat16Array,
  fromFloat16Array,
  FLOAT16_MAX,
  FLOAT16_NAN_BITS,
} from "./ir/float16.ts";
export type { SavedTensor, SavedTensorArrays } from "./results/saved-tensor.ts";
export { toSafetensors } from "./results/to-safetensors.ts";
export {
  loadTokenizer,
  TokenizerLoadError,
  type TextTokenizer,
} from "./tokenize/load-tokenizer.ts";
export {
  fromSafetensors,
  type SafetensorsContents,
} from "./results/from-safetensors.ts";
export {
  SafetensorsError,
  type SafetensorsErrorCode,
} from "./results/safetensors-error.ts";
export type { Dim, Shape } from "./ir/shape.ts";
export {
  parseIndex,
  formatIndex,
  IndexSyntaxError,
  type IndexItem,
  type IndexSpec,
} from "./ir/index-spec.ts";
export type { Op } from "./ir/ops.ts";
export {
  validateGraph,
  assertValidGraph,
  GraphValidationError,
  DEFAULT_LIMITS,
  type ValidationIssue,
  type ValidationInputs,
  type ValidationResult,
  type GraphLimits,
} from "./validate/validate-graph.ts";
export { locateIssues } from "./validate/locate-issues.ts";
export { promptLengths, hasTextPrompts } from "./validate/prompt-lengths.ts";
export { traceSources, type SourceFrame } from "./trace/source-frames.ts";
export {
  graphSourcesSchema,
  type GraphSources,
} from "./format/graph-sources.ts";
export { formatType, type ValueType } from "./validate/value-type.ts";
export {
  checkGraph,
  assertCheckedGraph,
  checkedGraphFromStore,
  modelHashOf,
  type CheckedGraph,
} from "./validate/checked-graph.ts";
export { renderGraphText } from "./render/render-graph-text.ts";
export { describeNode } from "./render/describe-node.ts";
export {
  graphToDag,
  graphToDot,
  type GraphDag,
  type DagNodeKind,
} from "./render/graph-dag.ts";
export {
  diffGraphs,
  formatGraphDiff,
  type GraphDiff,
  type InvokeChange,
} from "./diff/diff-graphs.ts";
export {
  OnnxElementType,
  dtypeOfOnnx,
  onnxOfDtype,
  onnxElementTypeName,
} from "./vocabulary/element-types.ts";
export {
  RUN_STATUSES,
  WAITING_RUN_STATUSES,
  LIVE_RUN_STATUSES,
  ENDED_RUN_STATUSES,
  isEndedRunStatus,
  isWaitingRunStatus,
  type RunStatusName,
} from "./vocabulary/run-status.ts";
export type {
  GeneratedRowKey,
  GeneratedRow,
  GeneratedToken,
  StopReason,
} from "./vocabulary/generated-tokens.ts";
export {
  ERROR_CODES,
  apiStatusOf,
  NON_RETRYABLE_CODES,
  errorCodeOf,
  isErrorCode,
  normalizeRunError,
  type ErrorCode,
  type ErrorCodeSpec,
} from "./vocabulary/error-codes.ts";
// The paper's examples as graph builders, defined once: examples/, the
// gallery's seed and the engine's paper examples build their graphs with them.
export type {
  ExampleModel,
  TransformerBlock,
  PromptPosition,
} from "./examples/example-model.ts";
export {
  buildForwardGraph,
  type ForwardInputs,
} from "./examples/build-forward-graph.ts";
export {
  buildNeuronsGraph,
  type NeuronsInputs,
} from "./examples/build-neurons-graph.ts";
export {
  buildActivationPatchingGraph,
  type ActivationPatchingInputs,
} from "./examples/build-activation-patching-graph.ts";
export {
  buildLogitLensGraph,
  type LogitLensInputs,
} from "./examples/build-logit-lens-graph.ts";
export type { SteeringInputs } from "./examples/trace-steering-direction.ts";
export {
  buildSteeringGraph,
  type SteeringScalesInputs,
} from "./examples/build-steering-graph.ts";
export {
  buildSteeredGenerationGraph,
  type SteeredGenerationInputs,
} from "./examples/build-steered-generation-graph.ts";
export {
  buildPatchingSweepGraph,
  type PatchingSweepInputs,
  type SweepPrompt,
} from "./examples/build-patching-sweep-graph.ts";
export {
  buildAttributionPatchingGraph,
  ATTRIBUTION_SAVE,
  type AttributionPatchingInputs,
} from "./examples/build-attribution-patching-graph.ts";
