import { TRPCError } from "@trpc/server";
import { ZodError } from "zod";

/**
 * What a form shows when a call fails: each invalid field by name with what
 * was wrong, or the API's own message (which names the thing). Anything that
 * is not an API error is a bug and is rethrown to the error page.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof TRPCError)) throw error;
  if (error.cause instanceof ZodError)
    return error.cause.issues
      .map(
        (i) =>
          `${i.path.length > 0 ? `${i.path.join(".")}: ` : ""}${i.message}`,
      )
      .join("; ");
  return error.message;
}

/** The error code of an API call that failed (NOT_FOUND, UNAUTHORIZED, ...), or rethrows. */
export function errorCode(error: unknown): TRPCError["code"] {
  if (error instanceof TRPCError) return error.code;
  throw error;
}
