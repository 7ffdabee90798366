/** How the supervisor spaces the restarts of a service that keeps dying. */
export interface RestartBackoff {
  /** Delay before the first restart after a death. */
  readonly initialMs: number;
  /** The delay doubles with each death in a row, up to this. */
  readonly maxMs: number;
  /** A service that ran this long before dying starts again from `initialMs`. */
  readonly stableAfterMs: number;
}

/** `npm start`'s backoff: 1 s, 2 s, 4 s, … up to 30 s; reset after a minute up. */
export const DEFAULT_RESTART_BACKOFF: RestartBackoff = {
  initialMs: 1000,
  maxMs: 30_000,
  stableAfterMs: 60_000,
};

/**
 * The delay before restarting a service, and how many deaths in a row this is
 * (1 for a death after a stable run). Pure: the supervisor keeps `deathsInRow`
 * from one death to the next.
 *
 * @example
 * nextRestart(DEFAULT_RESTART_BACKOFF, { deathsInRow: 2, ranForMs: 500 });
 * // => { deathsInRow: 3, delayMs: 4000 }
 */
export function nextRestart(
  backoff: RestartBackoff,
  previous: { readonly deathsInRow: number; readonly ranForMs: number },
): { deathsInRow: number; delayMs: number } {
  const deathsInRow =
    previous.ranForMs >= backoff.stableAfterMs ? 1 : previous.deathsInRow + 1;
  const delayMs = Math.min(
    backoff.maxMs,
    backoff.initialMs * 2 ** Math.min(deathsInRow - 1, 30),
  );
  return { deathsInRow, delayMs };
}
