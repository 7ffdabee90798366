import { z } from "zod";

/** The quota an approval grants unless the reviewer gives another. */
export const DEFAULT_QUOTA = {
  computeSecondsPerDay: 3600,
  maxConcurrentRuns: 16,
  maxRunsPerDay: 2000,
  maxResultBytes: 1024 ** 3,
} as const;

/** A quota as an administrator sets it. */
export const quotaInput = z.object({
  computeSecondsPerDay: z
    .number()
    .nonnegative()
    .max(86_400 * 1000),
  maxConcurrentRuns: z.number().int().nonnegative().max(100_000),
  maxRunsPerDay: z.number().int().nonnegative().max(10_000_000),
  maxResultBytes: z.number().int().nonnegative(),
});
