import { apiStatusOf, type ErrorCode, type ErrorCodeSpec } from "@loupe/graph";
import { TRPCError } from "@trpc/server";

/** The tRPC codes Loupe's errors answer with (each code's `status` in ERROR_CODES). */
export type ApiStatus = NonNullable<ErrorCodeSpec["status"]>;

/**
 * An error as the client sees it: a tRPC code plus `data.loupe`, a code of
 * the registry (QUOTA_EXCEEDED, VERSION_CONFLICT, ...) with the facts a
 * client needs to act on it. The tRPC code is the registry's `status` for
 * the code (apiStatusOf) unless `options.status` says otherwise (a run over
 * one of its model's limits, say: see toLoupeError).
 */
export class LoupeError extends TRPCError {
  constructor(
    readonly loupe: { readonly code: ErrorCode } & Record<string, unknown>,
    message: string,
    options: { status?: ApiStatus | undefined; cause?: unknown } = {},
  ) {
    super({
      code: options.status ?? apiStatusOf(loupe.code),
      message,
      cause: options.cause,
    });
  }
}

/** NOT_FOUND naming what was not found ("run 42 not found"). */
export const notFound = (what: string) =>
  new LoupeError({ code: "NOT_FOUND" }, `${what} not found`);
