import {
  ModelAlreadyHostedError,
  ModelUnavailableError,
  QuotaExceededError,
  RunLimitError,
  VersionConflictError,
} from "@loupe/db";
import type { ErrorCode } from "@loupe/graph";
import { EmailTakenError } from "../auth/accounts.ts";
import { RateLimitedError } from "../auth/rate-limit.ts";
import { LoupeError, type ApiStatus } from "./loupe-error.ts";

/** A domain error: an Error whose `code` is one of the registry's. */
type DomainError = Error & { readonly code: ErrorCode };

/**
 * How one domain error class reaches the client: the facts of it a client
 * acts on, beside its code, and the tRPC status where it is not the
 * registry's.
 */
function domainError<E extends DomainError>(
  type: abstract new (...args: never[]) => E,
  facts: (error: E) => Record<string, unknown>,
  status?: (error: E) => ApiStatus | undefined,
) {
  return (error: unknown): LoupeError | null =>
    error instanceof type
      ? new LoupeError({ code: error.code, ...facts(error) }, error.message, {
          status: status?.(error),
          cause: error,
        })
      : null;
}

const DOMAIN_ERRORS = [
  domainError(QuotaExceededError, (e) => ({
    quota: e.quota,
    limit: e.limit,
    used: e.used,
  })),
  domainError(
    RunLimitError,
    (e) => ({ limit: e.limit, max: e.max, actual: e.actual }),
    // The model's own limits make the run wrong (BAD_REQUEST); the user's
    // make it too big (the registry's PAYLOAD_TOO_LARGE). Clients read 400
    // for these two since before the registry, so they keep it.
    (e) =>
      e.limit === "vocabSize" || e.limit === "maxPositions"
        ? "BAD_REQUEST"
        : undefined,
  ),
  domainError(VersionConflictError, (e) => ({
    expectedVersion: e.expectedVersion,
    actualVersion: e.actualVersion,
  })),
  domainError(ModelUnavailableError, (e) => ({
    model: e.model,
    state: e.state,
    reason: e.reason,
  })),
  domainError(ModelAlreadyHostedError, (e) => ({
    model: e.model,
    state: e.state,
  })),
  domainError(EmailTakenError, () => ({})),
  domainError(RateLimitedError, (e) => ({
    max: e.limit.max,
    windowSeconds: e.limit.windowMs / 1000,
    retryAfterSeconds: e.retryAfterSeconds,
  })),
];

/**
 * The one translation of domain errors (a quota spent, a run over a limit,
 * a stream written first by someone else, a model not online, ...) into
 * LoupeErrors: their registry code, the facts a client acts on, and their
 * tRPC status. Null for any other error, which stays internal (a 500 whose
 * message the client never sees). Applied once, at the tRPC boundary
 * (publicProcedure): procedures throw domain errors as they come.
 */
export function toLoupeError(error: unknown): LoupeError | null {
  for (const translate of DOMAIN_ERRORS) {
    const translated = translate(error);
    if (translated) return translated;
  }
  return null;
}
