// No "server-only" marker here: server.ts's API (outside the React server
// graph, where that marker throws) resolves principals too.
import { resolvePrincipal, type Principal } from "@loupe/api";
import { getToken } from "next-auth/jwt";
import { getApiServices } from "./api-services";
import { getWebEnv } from "./env";

// Auth.js names its session cookie by whether it was set over HTTPS.
const SECURE_SESSION_COOKIE = /(?:^|;\s*)__Secure-authjs\.session-token/;

/**
 * Who is calling: a bearer API key (scripts, the SDK) or the Auth.js session
 * (the portal). Null when neither. The session is read from its cookie with
 * Auth.js's own decoder (the JWT Auth.js wrote, checked and decrypted with
 * AUTH_SECRET), so pages and the API (served outside Next.js) read it alike.
 */
export async function principalOf(headers: Headers): Promise<Principal | null> {
  const authorization = headers.get("authorization");
  let sessionUserId: string | null = null;
  if (!authorization) {
    const token = await getToken({
      req: { headers },
      secret: getWebEnv().AUTH_SECRET,
      secureCookie: SECURE_SESSION_COOKIE.test(headers.get("cookie") ?? ""),
    });
    sessionUserId = typeof token?.sub === "string" ? token.sub : null;
  }
  return resolvePrincipal(getApiServices().db, {
    authorization,
    sessionUserId,
  });
}
