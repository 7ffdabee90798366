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
 * activities whose failure type is not marked non-retryable).
 */
export const ERROR_CODES = {
  // A graph or a request the client wrote.
  GRAPH_FORMAT: {
    status: "BAD_REQUEST",
    retry: false,
    summary: "the graph is not in Loupe's graph format",
  },
  GRAPH_INVALID: {
    status: "BAD_REQUEST",
    retry: false,
    summary: "the graph does not fit the model (each issue names its node)",
  },
  BAD_REQUEST: {
    status: "BAD_REQUEST",
    retry: false,
    summary: "the request is malformed",
  },
  UNSTORABLE_STRING: {
    status: "BAD_REQUEST",
    retry: false,
    summary: "a string holds a character PostgreSQL cannot store",
  },
  PAYLOAD_TOO_LARGE: {
    status: "PAYLOAD_TOO_LARGE",
    retry: false,
    summary: "the request body is over the server's limit",
  },
  BATCH_TOO_LARGE: {
    status: "PAYLOAD_TOO_LARGE",
    retry: false,
    summary: "an HTTP batch holds more procedures than the server takes",
  },
  REQUEST_ID_REUSED: {
    status: "CONFLICT",
    retry: false,
    summary: "a run's request id was used for a different run",
  },
  // Who may do what.
  UNAUTHORIZED: {
    status: "UNAUTHORIZED",
    retry: false,
    summary: "no valid API key or session",
  },
  INVALID_CREDENTIALS: {
    status: "UNAUTHORIZED",
    retry: false,
    summary: "the email or password is wrong",
  },
  ACCOUNT_DISABLED: {
    status: "FORBIDDEN",
    retry: false,
    summary: "an administrator disabled the account",
  },
  FORBIDDEN: {
    status: "FORBIDDEN",
    retry: false,
    summary: "the caller may not do this",
  },
  NOT_FOUND: {
    status: "NOT_FOUND",
    retry: false,
    summary: "no such thing, or not one the caller may read",
  },
  EMAIL_TAKEN: {
    status: "CONFLICT",
    retry: false,
    summary: "an account with this email exists",
  },
  // Limits.
  QUOTA_EXCEEDED: {
    status: "TOO_MANY_REQUESTS",
    retry: true,
    summary: "the account's quota is spent (concurrent runs or daily usage)",
  },
  RUN_LIMIT_EXCEEDED: {
    status: "PAYLOAD_TOO_LARGE",
    retry: false,
    summary: "the run is over a limit of the quota or of the model",
  },
  RATE_LIMITED: {
    status: "TOO_MANY_REQUESTS",
    retry: true,
    summary: "too many attempts; retry after the time given",
  },
  TOO_MANY_LINKS: {
    status: "TOO_MANY_REQUESTS",
    retry: true,
    summary: "too many sign-in links asked for this address",
  },
  // Shared state.
  VERSION_CONFLICT: {
    status: "CONFLICT",
    retry: false,
    summary: "someone else wrote the stream first; read it and try again",
  },
  MODEL_UNAVAILABLE: {
    status: "PRECONDITION_FAILED",
    retry: true,
    summary: "the model is not hosted now (loading, failed or unhosted)",
  },
  MODEL_ALREADY_HOSTED: {
    status: "CONFLICT",
    retry: false,
    summary: "the model is hosted or being hosted",
  },
  DATABASE_UNAVAILABLE: {
    status: "SERVICE_UNAVAILABLE",
    retry: true,
    summary: "PostgreSQL cannot be reached; retry after the time given",
  },
  // How a run ends without a result (recorded on the run as `CODE: reason`).
  RUN_ERROR: {
    status: "INTERNAL_SERVER_ERROR",
    retry: false,
    summary: "the run's graph failed on the worker (its message says where)",
    legacy: ["RunError"],
  },
  MODEL_CHANGED: {
    status: "PRECONDITION_FAILED",
    retry: false,
    summary:
      "the worker hosts another version of the model than the run was checked against",
    legacy: ["ModelChanged"],
  },
  UNKNOWN_MODEL: {
    status: "INTERNAL_SERVER_ERROR",
    retry: false,
    summary: "a batch reached a worker that does not host its model",
    legacy: ["UnknownModel"],
  },
  GRAPH_UNAVAILABLE: {
    status: "INTERNAL_SERVER_ERROR",
    retry: false,
    summary: "the run's stored graph could not be read",
    legacy: ["GraphUnavailable"],
  },
  BATCH_FAILED: {
    status: "INTERNAL_SERVER_ERROR",
    retry: false,
    summary:
      "the batch the run was in failed as a whole (the worker died or gave up)",
  },
  RESULT_TOO_LARGE: {
    status: "PAYLOAD_TOO_LARGE",
    retry: false,
    summary: "the run's saved tensors are over the result limit",
  },
  INTERNAL: {
    status: "INTERNAL_SERVER_ERROR",
    retry: false,
    summary: "a bug in Loupe; the server's log has the cause",
  },
} as const satisfies Record<string, ErrorCodeSpec>;

/** What the registry says about one code. */
export interface ErrorCodeSpec {
  /** The tRPC code an API error with this code answers with. */
  readonly status:
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

/** The codes whose failures a retry cannot fix: Temporal's non-retryable error types. */
export const NON_RETRYABLE_CODES: readonly ErrorCode[] = (
  Object.entries(ERROR_CODES) as [ErrorCode, ErrorCodeSpec][]
)
  .filter(([, spec]) => !spec.retry)
  .map(([code]) => code);
