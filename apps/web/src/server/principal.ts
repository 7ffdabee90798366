// No "server-only" marker here: server.ts's API (outside the React server
// graph, where that marker throws) resolves principals too.
import {
  isDatabaseUnavailable,
  resolvePrincipal,
  type Principal,
} from "@loupe/api";
import { getToken } from "next-auth/jwt";
import { getApiServices } from "./api-services";
import { noteDatabaseOutage } from "./database-outage";
import { getWebEnv } from "./env";

// Auth.js names its session cookie by whether it was set over HTTPS.
const SECURE_SESSION_COOKIE = /(?:^|;\s*)__Secure-authjs\.session-token/;

/**
 * Credentials were sent and do not name a caller: an API key that is revoked,
 * unknown or malformed, or an Authorization header that is not a bearer key.
 * Answered 401, never read as anonymous (as GitHub's API answers a revoked
 * token): a script whose key was revoked must learn it, not silently see
 * only public data.
 */
export class InvalidCredentialsError extends Error {
  override readonly name = "InvalidCredentialsError";
  readonly code = "INVALID_CREDENTIALS";
  constructor() {
    super(
      "the Authorization header's API key is not valid: it is revoked, unknown or malformed (expected `Bearer loupe_<prefix>_<secret>`)",
    );
  }
}

/** The 401 for InvalidCredentialsError, as a tRPC error body (what the SDK reads). */
export function invalidCredentialsResponse(
  error: InvalidCredentialsError,
): Response {
  return Response.json(
    {
      error: {
        message: error.message,
        code: -32001,
        data: {
          code: "UNAUTHORIZED",
          httpStatus: 401,
          loupe: { code: error.code },
        },
      },
    },
    {
      status: 401,
      headers: { "www-authenticate": 'Bearer error="invalid_token"' },
    },
  );
}

/**
 * Who is calling: a bearer API key (scripts, the SDK) or the Auth.js session
 * (the portal). Null when neither; InvalidCredentialsError when an
 * Authorization header is sent that names no caller. The session is read from its cookie with
 * Auth.js's own decoder (the JWT Auth.js wrote, checked and decrypted with
 * AUTH_SECRET), so pages and the API (served outside Next.js) read it alike.
 */
export async function principalOf(headers: Headers): Promise<Principal | null> {
  const authorization = headers.get("authorization");
  let sessionUserId: string | null = null;
  let sessionId: string | null = null;
  if (!authorization) {
    const token = await getToken({
      req: { headers },
      secret: getWebEnv().AUTH_SECRET,
      secureCookie: SECURE_SESSION_COOKIE.test(headers.get("cookie") ?? ""),
    });
    sessionUserId = typeof token?.sub === "string" ? token.sub : null;
    // The revocable session the cookie was issued for (auth.ts, token.sid).
    sessionId = typeof token?.sid === "string" ? token.sid : null;
  }
  const principal = await resolvePrincipal(getApiServices().db, {
    authorization,
    sessionUserId,
    sessionId,
  }).catch((error: unknown) => {
    if (isDatabaseUnavailable(error)) noteDatabaseOutage();
    throw error;
  });
  if (authorization && !principal) throw new InvalidCredentialsError();
  return principal;
}
