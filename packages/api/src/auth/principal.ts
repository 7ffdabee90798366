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

/** The principal of a signed-in account (null when the account does not exist). */
export async function principalOfUser(
  db: Database,
  userId: string,
): Promise<Principal | null> {
  const account = await db.account.findUnique({ where: { id: userId } });
  return account
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

/** The principal of an API key (null when unknown or revoked). */
export async function principalOfApiKey(
  db: Database,
  key: string,
): Promise<Principal | null> {
  if (!/^loupe_[0-9a-f]{8}_[A-Za-z0-9_-]{20,}$/.test(key)) return null;
  const row = await db.apiKey.findUnique({ where: { hash: hashApiKey(key) } });
  if (!row || row.revokedAt) return null;
  const [account] = await Promise.all([
    principalOfUser(db, row.userId),
    recordKeyUse(db, row.id),
  ]);
  return (
    account && {
      ...account,
      via: { kind: "api-key", keyId: row.id, scopes: row.scopes },
    }
  );
}

/**
 * Notes when a key was last used, for its owner's key list. Operational state,
 * not an event (a script polling a run would write one a second): at most one
 * write a minute per key.
 */
async function recordKeyUse(db: Database, keyId: string): Promise<void> {
  await db.$executeRaw`
    INSERT INTO api_key_uses (key_id, last_used_at) VALUES (${keyId}, now())
    ON CONFLICT (key_id) DO UPDATE SET last_used_at = excluded.last_used_at
     WHERE api_key_uses.last_used_at < excluded.last_used_at - interval '1 minute'`;
}

/**
 * Resolves a request's principal: a bearer API key wins (scripts), else the
 * signed-in session's account (the portal).
 */
export async function resolvePrincipal(
  db: Database,
  from: { authorization?: string | null; sessionUserId?: string | null },
): Promise<Principal | null> {
  const bearer = from.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (bearer) return principalOfApiKey(db, bearer);
  return from.sessionUserId ? principalOfUser(db, from.sessionUserId) : null;
}
