import type { ErrorCode } from "@loupe/graph";
import { TRPCClientError } from "@trpc/client";
import {
  AmbiguousIdError,
  GraphInvalidError,
  LoupeClientError,
  ModelUnavailableError,
  NotLoupeServerError,
  QuotaExceededError,
  RunLimitExceededError,
  SdkVersionUnsupportedError,
  ServerUnreachableError,
  UnauthorizedError,
  type GraphIssue,
} from "./loupe-client-error.ts";

/** The data tRPC puts on errors from Loupe's API (see the API's errorFormatter). */
interface ApiErrorData {
  readonly code?: string;
  readonly httpStatus?: number;
  readonly loupe?: LoupeData;
}

type LoupeData = { readonly code: ErrorCode } & Record<string, unknown>;

/** What a call was: the server it went to, what it did, and whether it carried a key. */
interface CallSite {
  readonly url: string;
  readonly what: string;
  readonly apiKeySet: boolean;
}

/**
 * What the SDK's fetch throws when the server's URL answers with something
 * other than JSON (an HTML page): toClientError turns it into
 * NotLoupeServerError, naming what the call was doing.
 */
export class NonApiAnswer extends Error {
  override readonly name = "NonApiAnswer";
  constructor(
    readonly status: number,
    readonly contentType: string,
  ) {
    super(`HTTP ${status} with ${contentType || "no content type"}`);
  }
}

/**
 * Turns what a tRPC call threw into the SDK's typed error, with a message
 * that says what to do. `url` is the server's, for unreachable errors; `what`
 * describes the call ("submitting a run"); `apiKeySet` whether the call
 * carried a key (a refusal of a call without one says how to set one).
 */
export function toClientError(
  error: unknown,
  url: string,
  what: string,
  apiKeySet = true,
): Error {
  if (error instanceof LoupeClientError) return error;
  if (!(error instanceof TRPCClientError)) return error as Error;
  const site = { url, what, apiKeySet };
  if (error.cause instanceof NonApiAnswer)
    return notLoupeServer(site, error.cause);
  const data = (error.data ?? {}) as ApiErrorData;
  if (data.code === undefined && isNetworkFailure(error))
    return unreachable(url, what, error);
  return (
    (data.loupe && fromLoupeCode(data.loupe, error)) ??
    fromTrpcCode(data.code, site, error)
  );
}

/** The errors the API marks with a code of Loupe's registry that the SDK has a class or advice for. */
function fromLoupeCode(
  loupe: LoupeData,
  error: Error,
): LoupeClientError | null {
  const { message } = error;
  const options = { cause: error };
  switch (loupe.code) {
    case "QUOTA_EXCEEDED":
      return new QuotaExceededError(
        String(loupe.quota),
        Number(loupe.limit),
        Number(loupe.used),
        `${message}. Wait for your running runs to finish or for tomorrow's allowance (UTC), or ask an administrator for a larger quota`,
        options,
      );
    case "RUN_LIMIT_EXCEEDED":
      return new RunLimitExceededError(
        String(loupe.limit),
        Number(loupe.max),
        loupe.actual === null || loupe.actual === undefined
          ? null
          : Number(loupe.actual),
        message,
        options,
      );
    case "MODEL_UNAVAILABLE":
      return new ModelUnavailableError(
        String(loupe.model),
        String(loupe.state),
        loupe.state === "unhosted"
          ? `${message}; ask an administrator to host it again`
          : message,
        options,
      );
    case "GRAPH_INVALID":
    case "GRAPH_FORMAT":
      return new GraphInvalidError(
        (loupe.issues as GraphIssue[] | undefined) ?? [],
        message,
        options,
      );
    case "VERSION_CONFLICT":
      return new LoupeClientError(
        "VERSION_CONFLICT",
        `${message}: someone committed in between; read the latest version and push again`,
        options,
      );
    case "SDK_VERSION_UNSUPPORTED":
      return new SdkVersionUnsupportedError(
        String(loupe.sdkVersion),
        String(loupe.serverVersion),
        message,
        options,
      );
    case "AMBIGUOUS_ID":
      return new AmbiguousIdError(
        String(loupe.prefix),
        (loupe.matches as string[] | undefined) ?? [],
        message,
        options,
      );
    default:
      return null;
  }
}

/** Every other error, by its tRPC code. */
function fromTrpcCode(
  code: string | undefined,
  site: CallSite,
  error: Error,
): LoupeClientError {
  const { message } = error;
  const options = { cause: error };
  switch (code) {
    case "CONFLICT":
      return new LoupeClientError(
        "CONFLICT",
        `${site.what}: ${message}`,
        options,
      );
    case "UNAUTHORIZED":
      return unauthorized(site, message, options);
    case "FORBIDDEN":
      return new UnauthorizedError(
        "FORBIDDEN",
        `${message} (${site.what})`,
        options,
      );
    case "NOT_FOUND":
      return new LoupeClientError("NOT_FOUND", message, options);
    case "BAD_REQUEST":
      return new LoupeClientError(
        "BAD_REQUEST",
        `${site.what}: ${message}`,
        options,
      );
    default:
      return new LoupeClientError(
        "SERVER_ERROR",
        `the server failed while ${site.what}: ${message}`,
        options,
      );
  }
}

/** What to do about a refused key (the portal's key page comes with the portal). */
export const UNAUTHORIZED_ADVICE =
  "create an API key on the portal's API keys page (/keys) and run `loupe login`, or set LOUPE_API_KEY";

/**
 * The server refused a call for want of a valid key. Without a key the
 * message says so and how to set one (a key the server did not accept is
 * another matter: revoked, mistyped, or another server's).
 */
export function unauthorized(
  site: CallSite,
  reason: string,
  options?: ErrorOptions,
): UnauthorizedError {
  if (!site.apiKeySet)
    return new UnauthorizedError(
      "UNAUTHORIZED",
      `no API key is set, and ${site.what} needs one: create a key on the portal's API keys page (${new URL("/keys", site.url).href}), then run \`loupe login --url ${site.url} --key <your key>\` or set LOUPE_API_KEY=<your key>`,
      options,
    );
  return new UnauthorizedError(
    "UNAUTHORIZED",
    `the server did not accept the API key while ${site.what} (${reason}): ${UNAUTHORIZED_ADVICE}`,
    options,
  );
}

/** The server's URL answered with a page, not Loupe's API. */
export function notLoupeServer(
  site: CallSite,
  answer: NonApiAnswer,
): NotLoupeServerError {
  return new NotLoupeServerError(
    site.url,
    answer.status,
    answer.contentType,
    `${site.url} is not a Loupe server: while ${site.what}, it answered with a page (${answer.message}), not Loupe's API. Give the Loupe server's URL (the portal's address, e.g. http://localhost:3000) in LOUPE_URL or with \`loupe login --url <url> --key <your key>\``,
    { cause: answer },
  );
}

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

/** The system's reason under fetch's "fetch failed" (ECONNREFUSED, ...). */
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
