import type { ErrorCode } from "@loupe/graph";

/**
 * The codes of the SDK's errors, from Loupe's one registry (ERROR_CODES in
 * @loupe/graph, where each is described): switch on `error.code`, never on
 * the message.
 */
export const CLIENT_ERROR_CODES = [
  "GRAPH_INVALID",
  "QUOTA_EXCEEDED",
  "RUN_LIMIT_EXCEEDED",
  "MODEL_UNAVAILABLE",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "NOT_FOUND",
  "SERVER_UNREACHABLE",
  "RESULT_TOO_LARGE",
  "RUN_FAILED",
  "RUN_CANCELLED",
  "NO_SERVER",
  "LOCAL_MODEL_MISSING",
  "LOCAL_MODEL_MISMATCH",
  "BAD_REQUEST",
  "VERSION_CONFLICT",
  "CONFLICT",
  "SERVER_ERROR",
  "SDK_VERSION_UNSUPPORTED",
  "NOT_A_LOUPE_SERVER",
  "AMBIGUOUS_ID",
] as const satisfies readonly ErrorCode[];

/** One code an SDK error carries. */
export type LoupeClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

/** Every error the SDK raises about the platform or a run; `code` says which. */
export class LoupeClientError extends Error {
  override readonly name: string = "LoupeClientError";
  constructor(
    readonly code: LoupeClientErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * One problem of a graph, as the validator reports it: the node and what is
 * wrong, and, when known, the module path its value comes from and the
 * script's line that made it ("examples/patch.ts:12", also the message's start).
 */
export interface GraphIssue {
  readonly nodeId?: string;
  readonly op?: string;
  readonly module?: string;
  readonly source?: string;
  readonly message: string;
}

/** The graph does not fit the model: every issue names its node. Nothing ran or was queued. */
export class GraphInvalidError extends LoupeClientError {
  override readonly name = "GraphInvalidError";
  constructor(
    readonly issues: readonly GraphIssue[],
    message: string,
    options?: ErrorOptions,
  ) {
    super("GRAPH_INVALID", message, options);
  }
}

/**
 * The run is over one of its limits, refused at submit with nothing recorded
 * or charged: `limit` names it (a run limit of the account's quota, such as
 * maxRowsPerRun, or the model's vocabSize or maxPositions).
 */
export class RunLimitExceededError extends LoupeClientError {
  override readonly name = "RunLimitExceededError";
  constructor(
    readonly limit: string,
    readonly max: number,
    readonly actual: number | null,
    message: string,
    options?: ErrorOptions,
  ) {
    super("RUN_LIMIT_EXCEEDED", message, options);
  }
}

/** A quota of the account would be exceeded; `quota` names which (e.g. maxRunsPerDay). */
export class QuotaExceededError extends LoupeClientError {
  override readonly name = "QuotaExceededError";
  constructor(
    readonly quota: string,
    readonly limit: number,
    readonly used: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super("QUOTA_EXCEEDED", message, options);
  }
}

/**
 * The model is not online: unhosted by an administrator, or still requested
 * or loading, or refused or failed on its workers. Nothing was queued;
 * `model` names it and `state` says where its hosting stands.
 */
export class ModelUnavailableError extends LoupeClientError {
  override readonly name = "ModelUnavailableError";
  constructor(
    readonly model: string,
    readonly state: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super("MODEL_UNAVAILABLE", message, options);
  }
}

/** No key, a revoked or unknown key, or a key without the scope or approval a call needs. */
export class UnauthorizedError extends LoupeClientError {
  override readonly name = "UnauthorizedError";
}

/** Nothing answered at the server's URL (refused, unresolvable, timed out). */
export class ServerUnreachableError extends LoupeClientError {
  override readonly name = "ServerUnreachableError";
  constructor(
    readonly url: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super("SERVER_UNREACHABLE", message, options);
  }
}

/** A run's saved values are larger than the account may store (maxResultBytes). */
export class ResultTooLargeError extends LoupeClientError {
  override readonly name = "ResultTooLargeError";
  constructor(
    readonly runId: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super("RESULT_TOO_LARGE", message, options);
  }
}

/** A run ended without a result: failed (with the platform's code) or cancelled. */
export class RunEndedError extends LoupeClientError {
  override readonly name = "RunEndedError";
  constructor(
    readonly runId: string,
    readonly status: "failed" | "cancelled",
    /** The platform's failure code (e.g. RUN_ERROR), null for a cancelled run. */
    readonly failure: ErrorCode | null,
    message: string,
  ) {
    super(status === "failed" ? "RUN_FAILED" : "RUN_CANCELLED", message);
  }
}

/**
 * The server cannot serve this SDK's version (it serves SDKs of its own major
 * version only): `sdkVersion` and `serverVersion` name both.
 */
export class SdkVersionUnsupportedError extends LoupeClientError {
  override readonly name = "SdkVersionUnsupportedError";
  constructor(
    readonly sdkVersion: string,
    readonly serverVersion: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super("SDK_VERSION_UNSUPPORTED", message, options);
  }
}

/**
 * Something answered at the server's URL, but not Loupe's API: an HTML page
 * (another web server, a wrong port, a proxy's sign-in page). `status` and
 * `contentType` are what came back.
 */
export class NotLoupeServerError extends LoupeClientError {
  override readonly name = "NotLoupeServerError";
  constructor(
    readonly url: string,
    readonly status: number,
    readonly contentType: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super("NOT_A_LOUPE_SERVER", message, options);
  }
}

/** A short id (a prefix) names several runs or experiments the caller can read; `matches` lists them. */
export class AmbiguousIdError extends LoupeClientError {
  override readonly name = "AmbiguousIdError";
  constructor(
    readonly prefix: string,
    readonly matches: readonly string[],
    message: string,
    options?: ErrorOptions,
  ) {
    super("AMBIGUOUS_ID", message, options);
  }
}
