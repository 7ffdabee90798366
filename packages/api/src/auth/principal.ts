import { createHash } from "node:crypto";
import type { Database } from "@loupe/db";

/**
 * What an API key may do; a session may do everything its account may.
 * `models:host` (host and unhost models: `loupe models host`) is for
 * administrators' keys only, and only when asked for.
 */
export const API_KEY_SCOPES = [
  "models:read",
  "experiments:read",
  "experiments:write",
  "runs:read",
  "runs:write",
  "models:host",
] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** The scopes a key gets when its creator names none: a researcher's. */
export const DEFAULT_API_KEY_SCOPES: readonly ApiKeyScope[] =
  API_KEY_SCOPES.filter((s) => s !== "models:host");

/** Scopes only administrators' keys may have. */
export const ADMIN_API_KEY_SCOPES: readonly ApiKeyScope[] = ["models:host"];

/** Who is calling: an account, signed in (session) or through an API key. */
export interface Principal {
  readonly userId: string;
  readonly role: "researcher" | "admin";
  /** Where the account's access application stands: only `approved` may run. */
  readonly access: "none" | "pending" | "approved" | "rejected";
  readonly via:
    | { readonly kind: "session" }
    | {
        readonly kind: "api-key";
        readonly keyId: string;
        readonly scopes: readonly string[];
      };
}

/** The principal of an account (null when it does not exist or is disabled). */
export async function principalOfUser(
  db: Database,
  userId: string,
): Promise<Principal | null> {
  const account = await db.account.findUnique({ where: { id: userId } });
  return account && !account.disabledAt
    ? {
        userId,
        role: account.role as Principal["role"],
        access: account.access as Principal["access"],
        via: { kind: "session" },
      }
    : null;
}

/** An API key is `loupe_<prefix>_<secret>`; only its SHA-256 is stored. */
export const hashApiKey = (key: string) =>
  createHash("sha256").update(key).digest("hex");

/**
 * How long a process trusts an API key's principal once read: a script's
 * submit, status poll and download reuse one read instead of three (each a
 * key, an account and a use query). A key revoked, or an account changed, in
 * another process takes effect there within this time; in the process that
 * revoked it, at once (forgetApiKeys).
 */
export const API_KEY_CACHE_MS = 5_000;

/**
 * The cache is the process's, not the module's: a web app's bundles may load
 * this module more than once (a server action beside a route handler), and a
 * revoke in one must clear what the other reads.
 */
const shared = ((globalThis as Record<symbol, unknown>)[
  Symbol.for("loupe.api-key-cache")
] ??= {
  keys: new Map<string, { principal: Principal | null; until: number }>(),
  uses: new Map<string, number>(),
}) as {
  keys: Map<string, { principal: Principal | null; until: number }>;
  uses: Map<string, number>;
};
const keyCache = shared.keys;
const keyUses = shared.uses;

/** Drops every cached API key principal (after a revoke or an account change here). */
export function forgetApiKeys(): void {
  keyCache.clear();
}

/** The principal of an API key (null when unknown or revoked). */
export async function principalOfApiKey(
  db: Database,
  key: string,
): Promise<Principal | null> {
  if (!/^loupe_[0-9a-f]{8}_[A-Za-z0-9_-]{20,}$/.test(key)) return null;
  const hash = hashApiKey(key);
  const now = Date.now();
  const cached = keyCache.get(hash);
  if (cached && cached.until > now) return cached.principal;
  const row = await db.apiKey.findUnique({ where: { hash } });
  let principal: Principal | null = null;
  if (row && !row.revokedAt) {
    const [account] = await Promise.all([
      principalOfUser(db, row.userId),
      recordKeyUse(db, row.id, now),
    ]);
    principal = account && {
      ...account,
      via: { kind: "api-key", keyId: row.id, scopes: row.scopes },
    };
  }
  if (keyCache.size > 10_000) keyCache.clear();
  keyCache.set(hash, { principal, until: now + API_KEY_CACHE_MS });
  return principal;
}

/**
 * Notes when a key was last used, for its owner's key list. Operational state,
 * not an event (a script polling a run would write one a second): at most one
 * write a minute per key.
 */
async function recordKeyUse(
  db: Database,
  keyId: string,
  now: number,
): Promise<void> {
  if ((keyUses.get(keyId) ?? 0) > now - 60_000) return;
  keyUses.set(keyId, now);
  await db.$executeRaw`
    INSERT INTO api_key_uses (key_id, last_used_at) VALUES (${keyId}, now())
    ON CONFLICT (key_id) DO UPDATE SET last_used_at = excluded.last_used_at
     WHERE api_key_uses.last_used_at < excluded.last_used_at - interval '1 minute'`;
}

/**
 * The principal of a session cookie's account and session id: null unless the
 * session (startSession) is live — not signed out, not revoked (a password
 * reset, a disabled account), not expired — and the account is enabled. One
 * query a request, in place of reading the account alone.
 */
export async function principalOfSession(
  db: Database,
  session: { userId: string; sessionId: string },
): Promise<Principal | null> {
  const [account] = await db.$queryRaw<{ role: string; access: string }[]>`
    SELECT a.role, a.access FROM sessions s JOIN accounts a ON a.id = s.user_id
     WHERE s.id = ${session.sessionId} AND s.user_id = ${session.userId}
       AND s.revoked_at IS NULL AND s.expires_at > now() AND a.disabled_at IS NULL`;
  return account
    ? {
        userId: session.userId,
        role: account.role as Principal["role"],
        access: account.access as Principal["access"],
        via: { kind: "session" },
      }
    : null;
}

/**
 * Resolves a request's principal: a bearer API key wins (scripts), else the
 * signed-in session's account (the portal): its cookie's subject and session
 * id (`sid`). A cookie without a session id (written before sessions could be
 * revoked) names nobody.
 */
export async function resolvePrincipal(
  db: Database,
  from: {
    authorization?: string | null;
    sessionUserId?: string | null;
    sessionId?: string | null;
  },
): Promise<Principal | null> {
  const bearer = from.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (bearer) return principalOfApiKey(db, bearer);
  return from.sessionUserId && from.sessionId
    ? principalOfSession(db, {
        userId: from.sessionUserId,
        sessionId: from.sessionId,
      })
    : null;
}
