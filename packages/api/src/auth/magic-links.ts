import { createHash, randomBytes, randomUUID } from "node:crypto";
import {
  appendDomainEvents,
  domainEvents,
  streams,
  type Database,
} from "@loupe/db";

/** How long a sign-in link works. */
export const MAGIC_LINK_TTL_MS = 15 * 60_000;
/** At most this many links per email an hour: a mailbox is not a target. */
const MAX_LINKS_PER_HOUR = 5;

/** Raised when an email asked for too many sign-in links. */
export class TooManyLinksError extends Error {
  override readonly name = "TooManyLinksError";
  readonly code = "TOO_MANY_LINKS";
  constructor(email: string) {
    super(
      `${MAX_LINKS_PER_HOUR} sign-in links were sent to ${email} in the last hour: use one of them, or wait`,
    );
  }
}

const hashToken = (token: string) =>
  createHash("sha256").update(token).digest("hex");
const normalize = (email: string) => email.trim().toLowerCase();

/**
 * A one-time sign-in link's token for `email` (an account is created on first
 * use if the email has none). Only the token's hash is stored; the caller
 * mails the token and forgets it.
 */
export async function createMagicLink(
  db: Database,
  rawEmail: string,
): Promise<{ token: string; email: string; expiresAt: Date }> {
  const email = normalize(rawEmail);
  const recent = await db.magicLink.count({
    where: { email, createdAt: { gte: new Date(Date.now() - 3_600_000) } },
  });
  if (recent >= MAX_LINKS_PER_HOUR) throw new TooManyLinksError(email);
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
  return { userId: account.id, email: account.email, name: account.name };
}
