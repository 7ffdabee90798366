import { randomUUID } from "node:crypto";
import {
  appendDomainEvents,
  domainEvents,
  streams,
  type Database,
} from "@loupe/db";
import type { Mailer } from "./mailer.ts";
import { DEFAULT_QUOTA } from "./default-quota.ts";
import { hashPassword, verifyPassword } from "./passwords.ts";
import {
  DEFAULT_RATE_LIMITS,
  returnRateLimitHit,
  takeRateLimitHit,
  type RateLimits,
} from "./rate-limit.ts";

/**
 * Raised when an email already has an account: for seeding and tests; the API
 * never answers it (signUpWithPassword).
 */
export class EmailTakenError extends Error {
  override readonly name = "EmailTakenError";
  readonly code = "EMAIL_TAKEN";
  constructor(email: string) {
    super(`an account with the email ${email} already exists`);
  }
}

const normalize = (email: string) => email.trim().toLowerCase();

/**
 * Creates an account that signs in with a password: the `account.created`
 * event (with its projection) and the credential row (a secret, kept out of
 * the event log) commit together.
 */
export async function createPasswordAccount(
  db: Database,
  input: {
    email: string;
    name: string;
    password: string;
    role?: "researcher" | "admin";
  },
): Promise<{ userId: string }> {
  const email = normalize(input.email);
  if (await db.account.findUnique({ where: { email } }))
    throw new EmailTakenError(email);
  const userId = randomUUID();
  const passwordHash = await hashPassword(input.password);
  const stream = streams.user(userId);
  await appendDomainEvents(
    db,
    [
      domainEvents.event(stream, "account.created", {
        userId,
        email,
        name: input.name,
        role: input.role ?? "researcher",
      }),
    ],
    {
      expectedVersion: 0,
      alsoInTransaction: (tx) =>
        tx.authCredential.create({ data: { userId, email, passwordHash } }),
    },
  ).catch((error: unknown) => {
    if (error instanceof Error && /unique|P2002/i.test(error.message))
      throw new EmailTakenError(email);
    throw error;
  });
  return { userId };
}

/**
 * A hash no password matches, checked for unknown emails: a sign-in then
 * costs one scrypt whether or not the email has an account, so its time does
 * not tell (accounts.int.test.ts measures it).
 */
const DUMMY_PASSWORD_HASH = hashPassword(randomUUID());

/**
 * Signs up with a password without telling whether the email has an account
 * (sign-up answers the same, in the same time): a new email gets its account;
 * for a taken one the owner is emailed instead (when a mailer is configured),
 * and the answer's userId names no account.
 */
export async function signUpWithPassword(
  db: Database,
  input: { email: string; name: string; password: string },
  mailer: Mailer | undefined,
): Promise<{ userId: string }> {
  try {
    return await createPasswordAccount(db, input);
  } catch (error) {
    if (!(error instanceof EmailTakenError)) throw error;
    // As long as creating it would have taken.
    await hashPassword(input.password);
    await mailer?.send({
      to: normalize(input.email),
      subject: "Your Loupe account",
      text: `Someone, perhaps you, tried to create a Loupe account with this email address. It already has one.\r\n\r\nTo use it, sign in with your password, or ask for a sign-in link on the sign-in page. If this was not you, ignore this email: nothing about your account has changed.`,
    });
    return { userId: randomUUID() };
  }
}

/**
 * The account a password signs in to, or null (unknown email or wrong
 * password, told apart neither by the answer nor by its time). Each attempt takes a hit from the client's sign-in limit before
 * any password is checked (RateLimitedError once it is used up); a success
 * gives its hit back, so the limit counts failures.
 */
export async function signInWithPassword(
  db: Database,
  input: {
    email: string;
    password: string;
    client: string;
    limits?: RateLimits;
  },
): Promise<{ userId: string; email: string; name: string } | null> {
  const key = `sign-in:client:${input.client}`;
  await takeRateLimitHit(
    db,
    key,
    (input.limits ?? DEFAULT_RATE_LIMITS).signInPerClient,
    `failed sign-ins from ${input.client}`,
  );
  const credential = await db.authCredential.findUnique({
    where: { email: normalize(input.email) },
  });
  const matches = await verifyPassword(
    input.password,
    credential?.passwordHash ?? (await DUMMY_PASSWORD_HASH),
  );
  if (!credential || !matches) return null;
  const account = await db.account.findUniqueOrThrow({
    where: { id: credential.userId },
  });
  if (account.disabledAt) return null;
  await returnRateLimitHit(db, key);
  return { userId: account.id, email: account.email, name: account.name };
}

/**
 * The account of an OAuth identity: the linked one, else the account with the
 * provider's (verified) email, else a new account. Returns its id.
 */
export async function accountOfOAuthIdentity(
  db: Database,
  identity: {
    provider: string;
    providerAccountId: string;
    email: string;
    name: string;
  },
): Promise<string> {
  const key = {
    provider: identity.provider,
    providerAccountId: identity.providerAccountId,
  };
  const linked = await db.authIdentity.findUnique({
    where: { provider_providerAccountId: key },
  });
  if (linked) return linked.userId;
  const email = normalize(identity.email);
  let userId = (await db.account.findUnique({ where: { email } }))?.id;
  if (!userId) {
    userId = randomUUID();
    const stream = streams.user(userId);
    await appendDomainEvents(
      db,
      [
        domainEvents.event(stream, "account.created", {
          userId,
          email,
          name: identity.name || email,
          role: "researcher",
        }),
      ],
      { expectedVersion: 0 },
    );
  }
  await db.authIdentity.create({ data: { ...key, userId } });
  return userId;
}

/**
 * Makes sure an administrator with this email exists and signs in with this
 * password (what `npm start` seeds). Returns whether it was created now.
 */
export async function seedAdmin(
  db: Database,
  admin: { email: string; password: string; name?: string },
): Promise<{ userId: string; created: boolean }> {
  const existing = await db.account.findUnique({
    where: { email: normalize(admin.email) },
  });
  if (existing) return { userId: existing.id, created: false };
  const { userId } = await createPasswordAccount(db, {
    email: admin.email,
    name: admin.name ?? "Loupe admin",
    password: admin.password,
    role: "admin",
  });
  // Administrators need no application, but run under a quota like everyone.
  const stream = streams.user(userId);
  await appendDomainEvents(db, [
    domainEvents.event(stream, "quota.granted", {
      userId,
      by: userId,
      ...DEFAULT_QUOTA,
    }),
  ]);
  return { userId, created: true };
}
