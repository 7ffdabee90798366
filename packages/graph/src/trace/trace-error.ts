/** Why building a graph failed. */
export type TraceErrorCode =
  | "UNKNOWN_MODULE"
  | "OUT_OF_ORDER"
  | "SKIPPED_MODULE"
  | "NO_ACTIVE_TRACE"
  | "FOREIGN_VALUE"
  | "BAD_ARGUMENT";

/** An error raised while tracing, naming the module or value at fault. */
export class TraceError extends Error {
  override readonly name = "TraceError";
  constructor(
    readonly code: TraceErrorCode,
    message: string,
    readonly details: {
      module?: string;
      nodeId?: string;
      suggestions?: readonly string[];
    } = {},
  ) {
    super(message);
  }
}
