/**
 * Loupe's error codes, the one registry: the API puts them on its errors
 * (`data.loupe.code`), the worker records them on failed runs (`CODE: reason`)
 * and names its Temporal failures with them, the engine and the graph package
 * tag their errors with them, and the SDK's errors carry them. Each boundary
 * has one mapper that translates into its own form (a tRPC status, a Temporal
 * failure type, an SDK error class); none invents codes.
 *
 * `status` is the tRPC code an API error with this code answers with; `retry`
 * says whether trying the same thing again can succeed (Temporal retries
 * activities whose failure type is not marked non-retryable). The codes of
 * the engine, the graph package and the client are here too, so a code means
 * one thing wherever it is seen, and a test checks that every code Loupe's
 * source raises is listed (packages/sdk/src/errors/error-codes.test.ts).
 */
export const ERROR_CODES = {
  // Graphs, tracing, results and tokenizers (@loupe/graph).
  GRAPH_FORMAT: {
    layer: "graph",
    status: "BAD_REQUEST",
    retry: false,
    summary: "the graph is not in Loupe's graph format",
  },
  GRAPH_INVALID: {
    layer: "graph",
    status: "BAD_REQUEST",
    retry: false,
    summary: "the graph does not fit the model (each issue names its node)",
  },
  INDEX_SYNTAX: {
    layer: "graph",
    retry: false,
    summary: "an index string does not parse (`:, -1`)",
  },
  UNKNOWN_MODULE: {
    layer: "graph",
    retry: false,
    summary: "tracing named a module the model does not have",
  },
  OUT_OF_ORDER: {
    layer: "graph",
    retry: false,
    summary: "tracing touched a module before one it had already passed",
  },
  SKIPPED_MODULE: {
    layer: "graph",
    retry: false,
    summary: "tracing asked for a module call the forward pass skips",
  },
  NO_ACTIVE_TRACE: {
    layer: "graph",
    retry: false,
    summary: "a value was used outside any trace",
  },
  FOREIGN_VALUE: {
    layer: "graph",
    retry: false,
    summary: "a value of one trace was used in another",
  },
  BAD_ARGUMENT: {
    layer: "graph",
    retry: false,
    summary: "a tracing call got an argument it cannot take",
  },
  SAFETENSORS_INVALID_INPUT: {
    layer: "graph",
    retry: false,
    summary: "tensors cannot be written as safetensors",
  },
  SAFETENSORS_INVALID_FILE: {
    layer: "graph",
    retry: false,
    summary: "bytes are not a valid safetensors file",
  },
  TOKENIZER_INVALID: {
    layer: "graph",
    retry: false,
    summary: "a tokenizer.json cannot be loaded",
  },
  // Models and runs in the engine (@loupe/engine).
  ONNX_INVALID: {
    layer: "engine",
    retry: false,
    summary: "an ONNX file does not decode",
  },
  SCOPE_METADATA_INVALID: {
    layer: "engine",
    retry: false,
    summary: "a dynamo export's module scopes are malformed",
  },
  UNSUPPORTED_TENSOR: {
    layer: "engine",
    retry: false,
    summary: "a model tensor has an element type Loupe does not handle",
  },
  MODEL_FILES: {
    layer: "engine",
    retry: false,
    summary: "a model's files are missing or do not match its manifest",
  },
  MODEL_PLAN: {
    layer: "engine",
    retry: false,
    summary: "the model cannot be cut at the graph's hook points",
  },
  MODEL_ADMISSION: {
    layer: "engine",
    retry: false,
    summary: "the model does not fit the worker's memory budget",
  },
  WEIGHT_STORE: {
    layer: "engine",
    retry: false,
    summary: "the model's weights cannot be written or mapped",
  },
  LOWERING: {
    layer: "engine",
    retry: false,
    summary: "a graph operation has no ONNX lowering",
  },
  GRADIENT: {
    layer: "engine",
    retry: false,
    summary: "a backward pass asks for a gradient no rule gives",
  },
  MEMORY_BUDGET: {
    layer: "engine",
    retry: false,
    summary: "a run would exceed the engine's memory budget",
  },
  // Requests to the API.
  BAD_REQUEST: {
    layer: "request",
    status: "BAD_REQUEST",
    retry: false,
    summary: "the request is malformed",
  },
  UNSTORABLE_STRING: {
    layer: "request",
    status: "BAD_REQUEST",
    retry: false,
    summary: "a string holds a character PostgreSQL cannot store",
  },
  PAYLOAD_TOO_LARGE: {
    layer: "request",
    status: "PAYLOAD_TOO_LARGE",
    retry: false,
    summary: "the request body is over the server's limit",
  },
  BATCH_TOO_LARGE: {
    layer: "request",
    status: "PAYLOAD_TOO_LARGE",
    retry: false,
    summary: "an HTTP batch holds more procedures than the server takes",
  },
  REQUEST_ID_REUSED: {
    layer: "request",
    status: "CONFLICT",
    retry: false,
    summary: "a run's request id was used for a different run",
  },
  SDK_VERSION_UNSUPPORTED: {
    layer: "request",
    status: "PRECONDITION_FAILED",
    retry: false,
    summary:
      "the server cannot serve the SDK's version (another major version; both are named)",
  },
  AMBIGUOUS_ID: {
    layer: "request",
    status: "BAD_REQUEST",
    retry: false,
    summary:
      "a short id (a prefix) matches several runs or experiments the caller can read",
  },
  EVENT_PAYLOAD: {
    layer: "request",
    status: "INTERNAL_SERVER_ERROR",
    retry: false,
    summary: "an event's payload does not match its catalog entry",
  },
  // Who may do what.
  UNAUTHORIZED: {
    layer: "access",
    status: "UNAUTHORIZED",
    retry: false,
    summary: "no valid API key or session",
  },
  INVALID_CREDENTIALS: {
    layer: "access",
    status: "UNAUTHORIZED",
    retry: false,
    summary: "the email or password is wrong",
  },
  ACCOUNT_DISABLED: {
    layer: "access",
    status: "FORBIDDEN",
    retry: false,
    summary: "an administrator disabled the account",
  },
  FORBIDDEN: {
    layer: "access",
    status: "FORBIDDEN",
    retry: false,
    summary: "the caller may not do this",
  },
  NOT_FOUND: {
    layer: "access",
    status: "NOT_FOUND",
    retry: false,
    summary: "no such thing, or not one the caller may read",
  },
  EMAIL_TAKEN: {
    layer: "access",
    status: "CONFLICT",
    retry: false,
    summary: "an account with this email exists",
  },
  // Limits.
  QUOTA_EXCEEDED: {
    layer: "limits",
    status: "TOO_MANY_REQUESTS",
    retry: true,
    summary: "the account's quota is spent (concurrent runs or daily usage)",
  },
  RUN_LIMIT_EXCEEDED: {
    layer: "limits",
    status: "PAYLOAD_TOO_LARGE",
    retry: false,
    summary: "the run is over a limit of the quota or of the model",
  },
  RATE_LIMITED: {
    layer: "limits",
    status: "TOO_MANY_REQUESTS",
    retry: true,
    summary: "too many attempts; retry after the time given",
  },
  TOO_MANY_LINKS: {
    layer: "limits",
    status: "TOO_MANY_REQUESTS",
    retry: true,
    summary: "too many sign-in links asked for this address",
  },
  // Shared state: streams, hosted models, the database.
  VERSION_CONFLICT: {
    layer: "state",
    status: "CONFLICT",
    retry: false,
    summary: "someone else wrote the stream first; read it and try again",
  },
  CONFLICT: {
    layer: "state",
    status: "CONFLICT",
    retry: false,
    summary: "the request conflicts with the current state",
  },
  MODEL_UNAVAILABLE: {
    layer: "state",
    status: "PRECONDITION_FAILED",
    retry: true,
    summary: "the model is not hosted now (loading, failed or unhosted)",
  },
  MODEL_ALREADY_HOSTED: {
    layer: "state",
    status: "CONFLICT",
    retry: false,
    summary: "the model is hosted or being hosted",
  },
  MODEL_FETCH: {
    layer: "state",
    retry: true,
    summary: "a model's files cannot be fetched from S3",
  },
  DATABASE_UNAVAILABLE: {
    layer: "state",
    status: "SERVICE_UNAVAILABLE",
    retry: true,
    summary: "PostgreSQL cannot be reached; retry after the time given",
  },
  // How a run ends without a result (recorded on the run as `CODE: reason`).
  RUN_ERROR: {
    layer: "run",
    status: "INTERNAL_SERVER_ERROR",
    retry: false,
    summary: "the run's graph failed on the worker (its message says where)",
    legacy: ["RunError", "RUN"],
  },
  MODEL_CHANGED: {
    layer: "run",
    retry: false,
    summary:
      "the worker hosts another version of the model than the run was checked against",
    legacy: ["ModelChanged"],
  },
  MODEL_UNHOSTED: {
    layer: "run",
    retry: false,
    summary: "an administrator unhosted the model while the run waited or ran",
  },
  UNKNOWN_MODEL: {
    layer: "run",
    retry: false,
    summary: "a batch reached a worker that does not host its model",
    legacy: ["UnknownModel"],
  },
  GRAPH_UNAVAILABLE: {
    layer: "run",
    retry: false,
    summary: "the run's stored graph could not be read",
    legacy: ["GraphUnavailable"],
  },
  BATCH_FAILED: {
    layer: "run",
    retry: false,
    summary:
      "the batch the run was in failed as a whole (the worker died or gave up)",
  },
  RESULT_TOO_LARGE: {
    layer: "run",
    status: "PAYLOAD_TOO_LARGE",
    retry: false,
    summary: "the run's saved tensors are over the result limit",
  },
  // Raised by the SDK and the CLI on the client's machine.
  SERVER_UNREACHABLE: {
    layer: "client",
    retry: true,
    summary: "nothing answered at the server's URL",
  },
  SERVER_ERROR: {
    layer: "client",
    status: "INTERNAL_SERVER_ERROR",
    retry: false,
    summary:
      "the server failed (a bug in Loupe; the server's log has the cause)",
  },
  RUN_FAILED: {
    layer: "client",
    retry: false,
    summary: "the run ended failed (its error has the platform's code)",
  },
  RUN_CANCELLED: {
    layer: "client",
    retry: false,
    summary: "the run was cancelled",
  },
  NOT_A_LOUPE_SERVER: {
    layer: "client",
    retry: false,
    summary:
      "the server's URL answered with something other than Loupe's API (an HTML page)",
  },
  NO_SERVER: {
    layer: "client",
    retry: false,
    summary: "a remote run was asked for with no server configured",
  },
  LOCAL_MODEL_MISSING: {
    layer: "client",
    retry: false,
    summary: "a local run's model has no files on this machine",
  },
  LOCAL_MODEL_MISMATCH: {
    layer: "client",
    retry: false,
    summary: "a local model's files are not the hosted model's",
  },
  ENGINE_NOT_INSTALLED: {
    layer: "client",
    retry: false,
    summary: "a local run needs @loupe/engine, which is not installed",
  },
  ENGINE_LOAD_FAILED: {
    layer: "client",
    retry: false,
    summary: "@loupe/engine is installed but does not load",
  },
  MODEL_FILE_UNREADABLE: {
    layer: "client",
    retry: false,
    summary: "a model file to import cannot be read",
  },
  MODEL_NOT_ONNX: {
    layer: "client",
    retry: false,
    summary: "a model file to import is not ONNX",
  },
  MODEL_IMPORT_FAILED: {
    layer: "client",
    retry: false,
    summary: "importing a model failed",
  },
  TOKENIZER_UNREADABLE: {
    layer: "client",
    retry: false,
    summary: "a tokenizer file cannot be read",
  },
  MANIFEST_WRITE_FAILED: {
    layer: "client",
    retry: false,
    summary: "an imported model's manifest cannot be written",
  },
} as const satisfies Record<string, ErrorCodeSpec>;

/** What the registry says about one code. */
export interface ErrorCodeSpec {
  /** Where the code is raised (the registry's sections). */
  readonly layer:
    | "graph"
    | "engine"
    | "request"
    | "access"
    | "limits"
    | "state"
    | "run"
    | "client";
  /** The tRPC code an API error with this code answers with (none: the API never sends it). */
  readonly status?:
    | "BAD_REQUEST"
    | "UNAUTHORIZED"
    | "FORBIDDEN"
    | "NOT_FOUND"
    | "CONFLICT"
    | "PRECONDITION_FAILED"
    | "PAYLOAD_TOO_LARGE"
    | "TOO_MANY_REQUESTS"
    | "INTERNAL_SERVER_ERROR"
    | "SERVICE_UNAVAILABLE";
  /** Whether the same request or activity can succeed if tried again. */
  readonly retry: boolean;
  readonly summary: string;
  /** Names the code was recorded under before this registry (class names in old run events). */
  readonly legacy?: readonly string[];
}

/** One of Loupe's error codes. */
export type ErrorCode = keyof typeof ERROR_CODES;

const byName = new Map<string, ErrorCode>();
for (const [code, spec] of Object.entries(ERROR_CODES) as [
  ErrorCode,
  ErrorCodeSpec,
][]) {
  byName.set(code, code);
  for (const old of spec.legacy ?? []) byName.set(old, code);
}

/** Whether a string is one of the registry's codes (not a legacy name). */
export const isErrorCode = (value: string): value is ErrorCode =>
  Object.hasOwn(ERROR_CODES, value);

/**
 * The registry's code for a recorded one: a code, or a legacy name a run's
 * events kept from before the registry (`RunError` is RUN_ERROR); null for
 * anything else.
 */
export const errorCodeOf = (recorded: string): ErrorCode | null =>
  byName.get(recorded) ?? null;

/**
 * A failed run's recorded error (`CODE: reason`) with its code in the
 * registry's spelling, so runs that failed before the registry read as runs
 * that fail now. Anything not in that form is returned as it is.
 */
export function normalizeRunError(recorded: string): string {
  const colon = recorded.indexOf(":");
  if (colon <= 0) return recorded;
  const code = errorCodeOf(recorded.slice(0, colon));
  return code === null ? recorded : `${code}${recorded.slice(colon)}`;
}

/** The codes whose failures a retry cannot fix. */
export const NON_RETRYABLE_CODES: readonly ErrorCode[] = (
  Object.entries(ERROR_CODES) as [ErrorCode, ErrorCodeSpec][]
)
  .filter(([, spec]) => !spec.retry)
  .map(([code]) => code);

/**
 * The tRPC code the API answers an error of this code with: the registry's
 * `status`, or INTERNAL_SERVER_ERROR for a code the API never sends on purpose
 * (an engine or client code reaching the API is a bug).
 */
export const apiStatusOf = (
  code: ErrorCode,
): NonNullable<ErrorCodeSpec["status"]> =>
  (ERROR_CODES[code] as ErrorCodeSpec).status ?? "INTERNAL_SERVER_ERROR";
