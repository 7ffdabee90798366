import { createHash, randomBytes, randomUUID } from "node:crypto";
import {
  DEFAULT_RATE_LIMITS,
  RateLimitedError,
  takeRateLimitHit,
  type RateLimits,
} from "./rate-limit.ts";
import {
  appendDomainEvents,
  domainEvents,
  streams,
  type Database,
} from "@loupe/db";

/** How long a sign-in link works. */
export const MAGIC_LINK_TTL_MS = 15 * 60_000;

/** Raised when an email was sent too many sign-in links: a mailbox is not a target. */
export class TooManyLinksError extends Error {
  override readonly name = "TooManyLinksError";
  readonly code = "TOO_MANY_LINKS";
  constructor(
    readonly email: string,
    readonly retryAfterSeconds: number,
    options: { cause: RateLimitedError },
  ) {
    super(
      `${options.cause.limit.max} sign-in links were sent to ${email} lately: use one of them, or try again in ${retryAfterSeconds} s`,
      options,
    );
  }
}

const hashToken = (token: string) =>
  createHash("sha256").update(token).digest("hex");
const normalize = (email: string) => email.trim().toLowerCase();

/**
 * A one-time sign-in link's token for `email` (an account is created on first
 * use if the email has none). Only the token's hash is stored; the caller
 * mails the token and forgets it. Limited per client (RateLimitedError: one
 * client cannot mail many people) and per email (TooManyLinksError), both
 * exactly under concurrency (takeRateLimitHit).
 */
export async function createMagicLink(
  db: Database,
  rawEmail: string,
  options: { client: string; limits?: RateLimits },
): Promise<{ token: string; email: string; expiresAt: Date }> {
  const email = normalize(rawEmail);
  const limits = options.limits ?? DEFAULT_RATE_LIMITS;
  await takeRateLimitHit(
    db,
    `links:client:${options.client}`,
    limits.linksPerClient,
    `sign-in links asked for from ${options.client}`,
  );
  await takeRateLimitHit(
    db,
    `links:email:${email}`,
    limits.linksPerEmail,
    `sign-in links sent to ${email}`,
  ).catch((error: unknown) => {
    if (error instanceof RateLimitedError)
      throw new TooManyLinksError(email, error.retryAfterSeconds, {
        cause: error,
      });
    throw error;
  });
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(Date.now() + MAGIC_LINK_TTL_MS);
  await db.magicLink.create({
    data: { tokenHash: hashToken(token), email, expiresAt },
  });
  return { token, email, expiresAt };
}

/**
 * Spends a sign-in link: its account (created now for a new email), or null
 * when the token is unknown, used or expired. A token works exactly once,
 * even when two requests race with it (one UPDATE decides).
 */
export async function signInWithMagicLink(
  db: Database,
  token: string,
): Promise<{ userId: string; email: string; name: string } | null> {
  const spent = await db.$queryRaw<{ email: string }[]>`
    UPDATE magic_links SET used_at = now()
     WHERE token_hash = ${hashToken(token)} AND used_at IS NULL AND expires_at > now()
    RETURNING email`;
  const email = spent[0]?.email;
  if (!email) return null;
  let account = await db.account.findUnique({ where: { email } });
  if (!account) {
    const userId = randomUUID();
    await appendDomainEvents(
      db,
      [
        domainEvents.event(streams.user(userId), "account.created", {
          userId,
          email,
          name: email.split("@")[0]!,
          role: "researcher",
        }),
      ],
      { expectedVersion: 0 },
    );
    account = await db.account.findUniqueOrThrow({ where: { id: userId } });
  }
  if (account.disabledAt) return null;
  return { userId: account.id, email: account.email, name: account.name };
}
