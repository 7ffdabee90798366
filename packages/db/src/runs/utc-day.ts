/** The UTC day (YYYY-MM-DD) of an instant: the unit of daily quotas. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}
