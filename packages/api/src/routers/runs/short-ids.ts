import { z } from "zod";
import { LoupeError, notFound } from "../../errors/loupe-error.ts";

/** The fewest characters a short id may have (the CLI shows 8). */
export const MIN_SHORT_ID = 6;

/** The most matches an ambiguous short id lists. */
export const MAX_LISTED_MATCHES = 10;

/** What `runs.resolve` and `experiments.resolve` take: a full id or a short one. */
export const shortIdInput = z.object({ id: z.string().trim().min(1).max(200) });

/** What a short id names, in messages. */
type Kind = "run" | "experiment";

/** Refuses a short id under MIN_SHORT_ID characters, naming it. */
export function assertShortIdLength(kind: Kind, id: string): void {
  if (id.length < MIN_SHORT_ID)
    throw new LoupeError(
      { code: "BAD_REQUEST", id, min: MIN_SHORT_ID },
      `${kind} ${id} not found, and a short ${kind} id needs at least ${MIN_SHORT_ID} characters (got ${id.length})`,
    );
}

/**
 * The one id among `matches` (at most MAX_LISTED_MATCHES + 1, newest first)
 * that `prefix` names: none is NOT_FOUND, several AMBIGUOUS_ID listing them.
 */
export function pickOnlyMatch(
  kind: Kind,
  prefix: string,
  matches: readonly string[],
): string {
  if (matches.length === 0) throw notFound(`${kind} ${prefix}`);
  if (matches.length === 1) return matches[0]!;
  const listed = matches.slice(0, MAX_LISTED_MATCHES);
  const count =
    matches.length > MAX_LISTED_MATCHES
      ? `more than ${MAX_LISTED_MATCHES} ${kind}s, the newest`
      : `${matches.length} ${kind}s`;
  throw new LoupeError(
    { code: "AMBIGUOUS_ID", prefix, matches: listed },
    `the short id ${prefix} matches ${count}: ${listed.join(", ")}; give more of the id`,
  );
}

/** The value of a read that may find nothing: null for NOT_FOUND, any other error thrown. */
export async function unlessNotFound<T>(read: Promise<T>): Promise<T | null> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof LoupeError && error.loupe.code === "NOT_FOUND")
      return null;
    throw error;
  }
}
