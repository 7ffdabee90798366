import { randomUUID } from "node:crypto";
import {
  appendDomainEvents,
  domainEvents,
  streams,
  type Database,
} from "@loupe/db";
import type { NewEvent, Transaction } from "@loupe/db";
import { forgetApiKeys } from "./principal.ts";

/** How long a session lasts from sign-in (Auth.js's cookie lives as long). */
export const SESSION_MAX_AGE_S = 30 * 24 * 3600;

/** Raised when a disabled account tries to start a session. */
export class AccountDisabledError extends Error {
  override readonly name = "AccountDisabledError";
  readonly code = "ACCOUNT_DISABLED";
  constructor(readonly userId: string) {
    super(`account ${userId} is disabled or does not exist`);
  }
}

/**
 * Starts a session for a signed-in account and returns its id, which the
 * session cookie carries; the account's sessions resolve only while their
 * row is neither revoked nor expired (resolvePrincipal). A disabled account
 * gets none (AccountDisabledError).
 */
export async function startSession(
  db: Database,
  userId: string,
): Promise<string> {
  const id = randomUUID();
  const started = await db.$executeRaw`
    INSERT INTO sessions (id, user_id, expires_at)
    SELECT ${id}, id, now() + ${SESSION_MAX_AGE_S} * interval '1 second'
      FROM accounts WHERE id = ${userId} AND disabled_at IS NULL`;
  if (started !== 1) throw new AccountDisabledError(userId);
  return id;
}

/** Ends one session (sign-out): its cookie resolves to nobody from now on. */
export async function endSession(db: Database, sessionId: string) {
  await db.$executeRaw`
    UPDATE sessions SET revoked_at = now() WHERE id = ${sessionId} AND revoked_at IS NULL`;
}

/**
 * Ends, at once, everything that lets someone act as the account: its
 * sessions, its unused sign-in links and its API keys (`api_key.revoked`,
 * by `by`). `events` (the reason: account.disabled, account.password_reset)
 * are appended with the revocations, and `alsoInTransaction` commits with
 * them (a new password). Returns how many keys were revoked.
 */
export async function revokeAccountAccess(
  db: Database,
  input: {
    userId: string;
    by: string;
    events: readonly NewEvent[];
    alsoInTransaction?: (tx: Transaction) => Promise<unknown>;
  },
): Promise<{ revokedKeys: number }> {
  const { userId, by } = input;
  const account = await db.account.findUniqueOrThrow({
    where: { id: userId },
  });
  const keys = await db.apiKey.findMany({
    where: { userId, revokedAt: null },
  });
  const stream = streams.user(userId);
  await appendDomainEvents(
    db,
    [
      ...input.events,
      ...keys.map((k) =>
        domainEvents.event(stream, "api_key.revoked", {
          keyId: k.id,
          userId,
          by,
        }),
      ),
    ],
    {
      alsoInTransaction: async (tx) => {
        await tx.$executeRaw`
          UPDATE sessions SET revoked_at = now() WHERE user_id = ${userId} AND revoked_at IS NULL`;
        await tx.$executeRaw`
          UPDATE magic_links SET used_at = now() WHERE email = ${account.email} AND used_at IS NULL`;
        await input.alsoInTransaction?.(tx);
      },
    },
  );
  forgetApiKeys();
  return { revokedKeys: keys.length };
}
