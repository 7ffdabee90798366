import { DEFAULT_RUN_LIMITS, type RunLimits } from "@loupe/db";
import { z } from "zod";

/** The quota an approval grants unless the reviewer gives another (run limits: see README, Limits). */
export const DEFAULT_QUOTA = {
  computeSecondsPerDay: 3600,
  maxConcurrentRuns: 16,
  maxRunsPerDay: 2000,
  maxResultBytes: 1024 ** 3,
  ...DEFAULT_RUN_LIMITS,
} as const;

const count = z.number().int().nonnegative();
const bytes = count.max(2 ** 50);

/**
 * A quota as an administrator sets it. The per-run limits may be left out:
 * they then keep their current values (the defaults on a first grant).
 */
export const quotaInput = z.object({
  computeSecondsPerDay: z
    .number()
    .nonnegative()
    .max(86_400 * 1000),
  maxConcurrentRuns: count.max(100_000),
  maxRunsPerDay: count.max(10_000_000),
  maxResultBytes: count,
  maxRowsPerRun: count.max(1_000_000).optional(),
  maxTokensPerRow: count.max(10_000_000).optional(),
  maxTokensPerRun: count.max(1_000_000_000).optional(),
  maxNodesPerRun: count.max(10_000_000).optional(),
  maxConstantBytesPerRun: bytes.optional(),
  maxResultBytesPerRun: bytes.optional(),
  maxRequestBytes: bytes.optional(),
});

export type QuotaInput = z.infer<typeof quotaInput>;

/** A full grant: the given fields over the current per-run limits (or the defaults). */
export function completeQuota(
  input: QuotaInput,
  current: Partial<RunLimits> | null,
): typeof DEFAULT_QUOTA & QuotaInput {
  const defined = Object.fromEntries(
    Object.entries(input).filter(([, v]) => v !== undefined),
  );
  return {
    ...DEFAULT_QUOTA,
    ...current,
    ...defined,
  };
}
