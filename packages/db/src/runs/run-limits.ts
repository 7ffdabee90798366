/**
 * The limits on one run, each a quota field an administrator can grant (the
 * `quotas` table; defaults here, documented in packages/api/README.md): the API
 * refuses a run over any of them at submit, before it is recorded or queued,
 * with an error naming the limit.
 */
export interface RunLimits {
  /** Prompt rows in one pass (the rows of every invoke of a trace). */
  readonly maxRowsPerRun: number;
  /** Tokens in one row, prompt plus generated tokens. */
  readonly maxTokensPerRow: number;
  /** Tokens over every row of the run. */
  readonly maxTokensPerRun: number;
  /** Nodes of the graph. */
  readonly maxNodesPerRun: number;
  /** Bytes of the graph's constants. */
  readonly maxConstantBytesPerRun: number;
  /** Bytes of what the run saves, estimated from the checked shapes. */
  readonly maxResultBytesPerRun: number;
  /** Bytes of a request's body, enforced before it is parsed. */
  readonly maxRequestBytes: number;
}

export type RunLimitName = keyof RunLimits;

export const DEFAULT_RUN_LIMITS: RunLimits = {
  maxRowsPerRun: 256,
  maxTokensPerRow: 2048,
  maxTokensPerRun: 16_384,
  maxNodesPerRun: 10_000,
  maxConstantBytesPerRun: 16 * 2 ** 20,
  maxResultBytesPerRun: 256 * 2 ** 20,
  maxRequestBytes: 32 * 2 ** 20,
};

export const RUN_LIMIT_NAMES = Object.keys(
  DEFAULT_RUN_LIMITS,
) as readonly RunLimitName[];

/**
 * A run over one of its limits, refused at submit: names the limit, its value
 * and what the run needs. Nothing is recorded or charged.
 */
export class RunLimitError extends Error {
  override readonly name = "RunLimitError";
  readonly code = "RUN_LIMIT_EXCEEDED";
  constructor(
    readonly limit: RunLimitName | "vocabSize" | "maxPositions",
    readonly max: number,
    readonly actual: number,
    message: string,
  ) {
    super(message);
  }
}

/** A quota row's per-run limits as numbers. */
export function runLimitsOf(row: {
  maxRowsPerRun: number;
  maxTokensPerRow: number;
  maxTokensPerRun: number;
  maxNodesPerRun: number;
  maxConstantBytesPerRun: bigint;
  maxResultBytesPerRun: bigint;
  maxRequestBytes: bigint;
}): RunLimits {
  return {
    maxRowsPerRun: row.maxRowsPerRun,
    maxTokensPerRow: row.maxTokensPerRow,
    maxTokensPerRun: row.maxTokensPerRun,
    maxNodesPerRun: row.maxNodesPerRun,
    maxConstantBytesPerRun: Number(row.maxConstantBytesPerRun),
    maxResultBytesPerRun: Number(row.maxResultBytesPerRun),
    maxRequestBytes: Number(row.maxRequestBytes),
  };
}
