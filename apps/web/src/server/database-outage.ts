// No "server-only" marker: server.ts's request listener reads this too.

/** How long after a failed database call the server still answers a page's 500 as an outage. */
export const OUTAGE_WINDOW_MS = 10_000;

// Process-wide, not per module: Next.js's bundles and server.ts load this
// module separately, and a page's failure must reach the listener.
const state = ((globalThis as Record<symbol, unknown>)[
  Symbol.for("loupe.database-outage")
] ??= { at: 0 }) as { at: number };

/** Records that a database call failed because PostgreSQL could not be reached. */
export function noteDatabaseOutage(now = Date.now()): void {
  state.at = now;
}

/**
 * Whether PostgreSQL was found unreachable within OUTAGE_WINDOW_MS: a page
 * that fails then is answered 503 with Retry-After rather than 500 (the
 * page's render has no other way to say why it failed).
 */
export function databaseOutageRecent(now = Date.now()): boolean {
  return state.at > 0 && now - state.at < OUTAGE_WINDOW_MS;
}
