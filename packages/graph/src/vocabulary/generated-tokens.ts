/**
 * A generation's tokens as every package shows them: the engine streams
 * GeneratedTokens, the runs read model keeps GeneratedRows, and the API, the
 * SDK and the portal pass both on unchanged.
 */

/** Which prompt row of a run a generated token belongs to. */
export interface GeneratedRowKey {
  /** The trace (0 for a run of one trace). */
  readonly trace: number;
  /** The invoke within the trace. */
  readonly invoke: number;
  /** The row within the invoke's batch. */
  readonly row: number;
}

/** The tokens one prompt row generated so far. */
export interface GeneratedRow extends GeneratedRowKey {
  readonly ids: readonly number[];
  /** The row's generated text (null: the model has no tokenizer). */
  readonly text: string | null;
}

/** One token of a generation, as it streams. */
export interface GeneratedToken extends GeneratedRowKey {
  /** The generation step that made it (0 for the first new token). */
  readonly step: number;
  readonly id: number;
  /** The row's generated text so far (null: the model has no tokenizer). */
  readonly text: string | null;
}

/** Why a row stopped generating. */
export type StopReason =
  "length" | "stop_id" | "stop_text" | "cancelled" | "error";
