import type { ErrorCode } from "@loupe/graph";
import { TRPCClientError } from "@trpc/client";

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

/** One problem of a graph, as the validator reports it (the node and what is wrong). */
export interface GraphIssue {
  readonly nodeId?: string;
  readonly op?: string;
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

/** The data tRPC puts on errors from Loupe's API (see the API's errorFormatter). */
interface ApiErrorData {
  readonly code?: string;
  readonly httpStatus?: number;
  readonly loupe?: { readonly code: ErrorCode } & Record<string, unknown>;
}

/**
 * Turns what a tRPC call threw into the SDK's typed error, with a message
 * that says what to do. `url` is the server's, for unreachable errors; `what`
 * describes the call ("submitting a run").
 */
export function toClientError(
  error: unknown,
  url: string,
  what: string,
): Error {
  if (error instanceof LoupeClientError) return error;
  if (!(error instanceof TRPCClientError)) return error as Error;
  const data = (error.data ?? {}) as ApiErrorData;
  const loupe = data.loupe;
  const message = error.message;
  if (data.code === undefined && isNetworkFailure(error))
    return unreachable(url, what, error);
  if (loupe?.code === "QUOTA_EXCEEDED")
    return new QuotaExceededError(
      String(loupe.quota),
      Number(loupe.limit),
      Number(loupe.used),
      `${message}. Wait for your running runs to finish or for tomorrow's allowance (UTC), or ask an administrator for a larger quota`,
      { cause: error },
    );
  if (loupe?.code === "RUN_LIMIT_EXCEEDED")
    return new RunLimitExceededError(
      String(loupe.limit),
      Number(loupe.max),
      loupe.actual === null || loupe.actual === undefined
        ? null
        : Number(loupe.actual),
      message,
      { cause: error },
    );
  if (loupe?.code === "MODEL_UNAVAILABLE")
    return new ModelUnavailableError(
      String(loupe.model),
      String(loupe.state),
      loupe.state === "unhosted"
        ? `${message}; ask an administrator to host it again`
        : message,
      { cause: error },
    );
  if (loupe?.code === "GRAPH_INVALID" || loupe?.code === "GRAPH_FORMAT")
    return new GraphInvalidError(
      (loupe.issues as GraphIssue[] | undefined) ?? [],
      message,
      { cause: error },
    );
  if (loupe?.code === "VERSION_CONFLICT")
    return new LoupeClientError(
      "VERSION_CONFLICT",
      `${message}: someone committed in between; read the latest version and push again`,
      { cause: error },
    );
  if (data.code === "CONFLICT")
    return new LoupeClientError("CONFLICT", `${what}: ${message}`, {
      cause: error,
    });
  if (data.code === "UNAUTHORIZED")
    return new UnauthorizedError(
      "UNAUTHORIZED",
      `the server did not accept the API key while ${what} (${message}): ${UNAUTHORIZED_ADVICE}`,
      { cause: error },
    );
  if (data.code === "FORBIDDEN")
    return new UnauthorizedError("FORBIDDEN", `${message} (${what})`, {
      cause: error,
    });
  if (data.code === "NOT_FOUND")
    return new LoupeClientError("NOT_FOUND", message, { cause: error });
  if (data.code === "BAD_REQUEST")
    return new LoupeClientError("BAD_REQUEST", `${what}: ${message}`, {
      cause: error,
    });
  return new LoupeClientError(
    "SERVER_ERROR",
    `the server failed while ${what}: ${message}`,
    { cause: error },
  );
}

/** What to do about a refused key (the portal's key page comes with the portal). */
export const UNAUTHORIZED_ADVICE =
  "create an API key on the portal's API keys page (/keys) and run `loupe login`, or set LOUPE_API_KEY";

/** Nothing answered at `url`: the error, with the system's reason (ECONNREFUSED, ...). */
export function unreachable(
  url: string,
  what: string,
  error: unknown,
): ServerUnreachableError {
  return new ServerUnreachableError(
    url,
    `cannot reach the Loupe server at ${url} while ${what} (${networkReason(error)}): is it running, and is the URL right? Check LOUPE_URL or \`loupe login --url\``,
    { cause: error },
  );
}

/** True when fetch itself failed: no HTTP response came back. */
function isNetworkFailure(error: Error): boolean {
  const cause = error.cause as { name?: string; message?: string } | undefined;
  return (
    cause instanceof TypeError ||
    cause?.name === "TypeError" ||
    /fetch failed/i.test(error.message)
  );
}

/** The system's reason under fetch's "fetch failed" (ECONNREFUSED, ENOTFOUND, ...). */
function networkReason(error: unknown): string {
  let cause: unknown = (error as { cause?: unknown }).cause;
  for (let depth = 0; cause && depth < 5; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === "string") return code;
    cause = (cause as { cause?: unknown }).cause;
  }
  const first = (error as { cause?: unknown }).cause;
  return first instanceof Error
    ? first.message
    : error instanceof Error
      ? error.message
      : String(error);
}
