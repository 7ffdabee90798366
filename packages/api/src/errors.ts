import {
  ModelAlreadyHostedError,
  ModelUnavailableError,
  QuotaExceededError,
  RunLimitError,
  VersionConflictError,
} from "@loupe/db";
import { TRPCError } from "@trpc/server";
import { EmailTakenError } from "./auth/accounts.ts";

/**
 * A domain error as the client sees it: a tRPC code plus `data.loupe`, a
 * stable machine-readable code (QUOTA_EXCEEDED, VERSION_CONFLICT, ...) with the
 * facts a client needs to act on it.
 */
export class LoupeError extends TRPCError {
  constructor(
    code: TRPCError["code"],
    readonly loupe: { code: string } & Record<string, unknown>,
    message: string,
  ) {
    super({ code, message });
  }
}

/** Translates a domain error into a LoupeError; anything else is rethrown as is. */
export function toApiError(error: unknown): never {
  if (error instanceof QuotaExceededError)
    throw new LoupeError(
      "TOO_MANY_REQUESTS",
      {
        code: error.code,
        quota: error.quota,
        limit: error.limit,
        used: error.used,
      },
      error.message,
    );
  if (error instanceof RunLimitError)
    throw new LoupeError(
      // The model's own limits make the run wrong; the user's make it too big.
      error.limit === "vocabSize" || error.limit === "maxPositions"
        ? "BAD_REQUEST"
        : "PAYLOAD_TOO_LARGE",
      {
        code: error.code,
        limit: error.limit,
        max: error.max,
        actual: error.actual,
      },
      error.message,
    );
  if (error instanceof VersionConflictError)
    throw new LoupeError(
      "CONFLICT",
      {
        code: error.code,
        expectedVersion: error.expectedVersion,
        actualVersion: error.actualVersion,
      },
      error.message,
    );
  if (error instanceof ModelUnavailableError)
    throw new LoupeError(
      "PRECONDITION_FAILED",
      {
        code: error.code,
        model: error.model,
        state: error.state,
        reason: error.reason,
      },
      error.message,
    );
  if (error instanceof ModelAlreadyHostedError)
    throw new LoupeError(
      "CONFLICT",
      { code: error.code, model: error.model, state: error.state },
      error.message,
    );
  if (error instanceof EmailTakenError)
    throw new LoupeError("CONFLICT", { code: error.code }, error.message);
  throw error;
}

export const notFound = (what: string) =>
  new LoupeError("NOT_FOUND", { code: "NOT_FOUND" }, `${what} not found`);
