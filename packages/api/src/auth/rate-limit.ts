import type { Database } from "@loupe/db";

/** At most `max` hits per key in a fixed window of `windowMs`. */
export interface RateLimit {
  readonly max: number;
  readonly windowMs: number;
}

/**
 * The limits on anonymous account traffic, per client address (see
 * clientAddressOf) and per email. Requests with an API key never reach these
 * paths: they are governed by their account's quotas.
 */
export interface RateLimits {
  /** Failed password sign-ins per client (a success gives its hit back). */
  readonly signInPerClient: RateLimit;
  /** Sign-ups per client. */
  readonly signUpPerClient: RateLimit;
  /** Sign-in links sent to one email. */
  readonly linksPerEmail: RateLimit;
  /** Sign-in links asked for by one client, whatever the emails. */
  readonly linksPerClient: RateLimit;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The defaults (documented in packages/api/README.md and SECURITY.md). */
export const DEFAULT_RATE_LIMITS: RateLimits = Object.freeze({
  signInPerClient: { max: 10, windowMs: 15 * MINUTE },
  signUpPerClient: { max: 10, windowMs: HOUR },
  linksPerEmail: { max: 5, windowMs: HOUR },
  linksPerClient: { max: 10, windowMs: HOUR },
});

/** Raised when a key used up its window: says what, how many, and when to retry. */
export class RateLimitedError extends Error {
  override readonly name = "RateLimitedError";
  readonly code = "RATE_LIMITED";
  constructor(
    readonly what: string,
    readonly limit: RateLimit,
    readonly retryAfterSeconds: number,
  ) {
    super(
      `too many ${what}: at most ${limit.max} per ${describeWindow(limit.windowMs)}; try again in ${retryAfterSeconds} s`,
    );
  }
}

/**
 * Takes one hit from `key`'s window, or throws RateLimitedError when the
 * window is full. One upsert decides, so concurrent requests on any replica
 * never let more than `max` through: the row's lock orders them, and a hit
 * over the limit writes nothing. Fixed windows: a window starts at its first
 * hit and ends `windowMs` later.
 */
export async function takeRateLimitHit(
  db: Database,
  key: string,
  limit: RateLimit,
  what: string,
): Promise<void> {
  const windowMs = limit.windowMs;
  if (limit.max < 1)
    throw new RateLimitedError(what, limit, Math.ceil(windowMs / 1000));
  const taken = await db.$queryRaw<{ hits: number }[]>`
    INSERT INTO rate_limit_windows AS w (key, hits, ends_at)
    VALUES (${key}, 1, now() + ${windowMs} * interval '1 millisecond')
    ON CONFLICT (key) DO UPDATE SET
      hits = CASE WHEN w.ends_at <= now() THEN 1 ELSE w.hits + 1 END,
      ends_at = CASE WHEN w.ends_at <= now() THEN excluded.ends_at ELSE w.ends_at END
    WHERE w.ends_at <= now() OR w.hits < ${limit.max}
    RETURNING hits`;
  if (taken.length > 0) {
    // Rows of windows that ended an hour ago are dropped now and then.
    if (Math.random() < 0.01)
      await db.$executeRaw`DELETE FROM rate_limit_windows WHERE ends_at < now() - interval '1 hour'`;
    return;
  }
  const [row] = await db.$queryRaw<{ seconds: number }[]>`
    SELECT ceil(extract(epoch FROM ends_at - now()))::int AS seconds
      FROM rate_limit_windows WHERE key = ${key}`;
  throw new RateLimitedError(what, limit, Math.max(1, row?.seconds ?? 1));
}

/** Gives a hit back (a sign-in that succeeded counts against no one). */
export async function returnRateLimitHit(
  db: Database,
  key: string,
): Promise<void> {
  await db.$executeRaw`
    UPDATE rate_limit_windows SET hits = hits - 1
     WHERE key = ${key} AND hits > 0 AND ends_at > now()`;
}

function describeWindow(ms: number): string {
  if (ms % HOUR === 0) return ms === HOUR ? "hour" : `${ms / HOUR} hours`;
  if (ms % MINUTE === 0)
    return ms === MINUTE ? "minute" : `${ms / MINUTE} minutes`;
  return `${ms / 1000} s`;
}

/** The variables rateLimitSettings reads, for the web app's env schema. */
export const RATE_LIMIT_VARIABLES = [
  "LOUPE_RATE_LIMIT_SIGN_IN_PER_CLIENT",
  "LOUPE_RATE_LIMIT_SIGN_UP_PER_CLIENT",
  "LOUPE_RATE_LIMIT_LINKS_PER_EMAIL",
  "LOUPE_RATE_LIMIT_LINKS_PER_CLIENT",
] as const;

const SETTINGS: Record<
  keyof RateLimits,
  (typeof RATE_LIMIT_VARIABLES)[number]
> = {
  signInPerClient: "LOUPE_RATE_LIMIT_SIGN_IN_PER_CLIENT",
  signUpPerClient: "LOUPE_RATE_LIMIT_SIGN_UP_PER_CLIENT",
  linksPerEmail: "LOUPE_RATE_LIMIT_LINKS_PER_EMAIL",
  linksPerClient: "LOUPE_RATE_LIMIT_LINKS_PER_CLIENT",
};
const UNIT_MS = { s: 1000, m: MINUTE, h: HOUR } as const;

/**
 * The rate limits an environment sets, each `<max>/<window>` with the window
 * in s, m or h (`LOUPE_RATE_LIMIT_SIGN_IN_PER_CLIENT=10/15m`); unset ones keep
 * their default. A malformed value throws, naming the variable.
 *
 * @example rateLimitSettings(env) // the web app's parsed env
 */
export function rateLimitSettings(
  env: Readonly<
    Partial<Record<(typeof RATE_LIMIT_VARIABLES)[number], string | undefined>>
  >,
): RateLimits {
  const limits = { ...DEFAULT_RATE_LIMITS };
  for (const [name, variable] of Object.entries(SETTINGS) as [
    keyof RateLimits,
    (typeof RATE_LIMIT_VARIABLES)[number],
  ][]) {
    const raw = env[variable];
    if (raw === undefined || raw === "") continue;
    const match = /^(\d{1,9})\/(\d{1,9})?([smh])$/.exec(raw.trim());
    if (!match)
      throw new Error(
        `${variable}: expected <max>/<window> such as 10/15m (window in s, m or h), got "${raw}"`,
      );
    limits[name] = {
      max: Number(match[1]),
      windowMs:
        Number(match[2] ?? 1) * UNIT_MS[match[3] as keyof typeof UNIT_MS],
    };
  }
  return limits;
}
