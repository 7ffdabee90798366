import "server-only";
import { resolvePrincipal, type Principal } from "@loupe/api";
import { getApiServices } from "./api-services";
import { auth } from "./auth";

/**
 * Who is calling: a bearer API key (scripts, the SDK) or the Auth.js session
 * (the portal). Null when neither.
 */
export async function principalOf(headers: Headers): Promise<Principal | null> {
  const authorization = headers.get("authorization");
  const session = authorization ? null : await auth();
  return resolvePrincipal(getApiServices().db, {
    authorization,
    sessionUserId: session?.user?.id ?? null,
  });
}
