import { DATABASE_RETRY_AFTER_S, isDatabaseUnavailable } from "@loupe/api";
import {
  InvalidCredentialsError,
  invalidCredentialsResponse,
} from "../server/principal";

/**
 * The answer to a failure outside tRPC's own handling (resolving the caller,
 * an endpoint's own work), or null when it is a bug (a 500, logged by the
 * caller): credentials that name no caller are a 401; a database that
 * cannot be reached is a 503 with Retry-After, which clients may retry.
 */
export function failureResponse(error: unknown): Response | null {
  if (error instanceof InvalidCredentialsError)
    return invalidCredentialsResponse(error);
  if (isDatabaseUnavailable(error))
    return Response.json(
      {
        error: {
          message: `the database is unavailable; retry in ${DATABASE_RETRY_AFTER_S} s`,
          code: -32603,
          data: {
            code: "SERVICE_UNAVAILABLE",
            httpStatus: 503,
            loupe: {
              code: "DATABASE_UNAVAILABLE",
              retryAfterSeconds: DATABASE_RETRY_AFTER_S,
            },
          },
        },
      },
      {
        status: 503,
        headers: { "retry-after": String(DATABASE_RETRY_AFTER_S) },
      },
    );
  return null;
}
