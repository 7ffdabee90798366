import { LoupeError } from "./loupe-error.ts";

/** Seconds a client is told to wait (Retry-After) when the database is unavailable. */
export const DATABASE_RETRY_AFTER_S = 5;

// Prisma's codes for a server it cannot reach or that went away (P1001, P1002,
// P1008, P1017), or a pool it could not get a connection from (P2024).
const PRISMA_UNAVAILABLE = new Set([
  "P1001",
  "P1002",
  "P1008",
  "P1017",
  "P2024",
]);
// The driver adapter's kinds, node's socket errors and PostgreSQL's SQLSTATEs
// for a server that is down, restarting or out of connections (classes 08, 57P).
const DRIVER_UNAVAILABLE = new Set([
  "DatabaseNotReachable",
  "DatabaseUnavailable",
  "ConnectionClosed",
  "SocketTimeout",
  "TooManyConnections",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "57P01",
  "57P02",
  "57P03",
  "53300",
]);

/**
 * Whether an error, or anything in its cause chain (Prisma's driver adapter
 * error in `meta` included), says PostgreSQL could not be reached or went
 * away: a transient outage, not a bug.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== "object" || error === null || depth > 8) return false;
  const e = error as {
    code?: unknown;
    kind?: unknown;
    message?: unknown;
    cause?: unknown;
    meta?: { driverAdapterError?: unknown };
    errors?: unknown;
  };
  if (typeof e.code === "string") {
    if (PRISMA_UNAVAILABLE.has(e.code) || DRIVER_UNAVAILABLE.has(e.code))
      return true;
    if (e.code.startsWith("08")) return true;
  }
  if (typeof e.kind === "string" && DRIVER_UNAVAILABLE.has(e.kind)) return true;
  if (
    typeof e.message === "string" &&
    /Can't reach database server|Connection terminated/.test(e.message)
  )
    return true;
  const nested = [
    e.cause,
    e.meta?.driverAdapterError,
    ...(Array.isArray(e.errors) ? (e.errors as unknown[]) : []),
  ];
  return nested.some((n) => isDatabaseUnavailable(n, depth + 1));
}

/**
 * A 503 for a database outage (SERVICE_UNAVAILABLE, DATABASE_UNAVAILABLE with
 * retryAfterSeconds), or null for any other error. The cause is kept for the
 * log; the client sees no internal message.
 */
export function databaseUnavailable(error: unknown): LoupeError | null {
  if (!isDatabaseUnavailable(error)) return null;
  return new LoupeError(
    { code: "DATABASE_UNAVAILABLE", retryAfterSeconds: DATABASE_RETRY_AFTER_S },
    `the database is unavailable; retry in ${DATABASE_RETRY_AFTER_S} s`,
    { cause: error },
  );
}
