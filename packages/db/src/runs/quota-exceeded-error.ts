/** The quota limits a run is admitted against (see the `quotas` table). */
export type QuotaName =
  | "maxConcurrentRuns"
  | "maxRunsPerDay"
  | "computeSecondsPerDay"
  | "maxResultBytes";

/** Raised when a run would exceed a quota: names the quota, its limit and what is used. */
export class QuotaExceededError extends Error {
  override readonly name = "QuotaExceededError";
  readonly code = "QUOTA_EXCEEDED";
  constructor(
    readonly quota: QuotaName | "none",
    readonly limit: number,
    readonly used: number,
    message?: string,
  ) {
    super(
      message ??
        (quota === "none"
          ? "no quota has been granted to this account"
          : `quota ${quota} exceeded: ${used} of ${limit} used`),
    );
  }
}
