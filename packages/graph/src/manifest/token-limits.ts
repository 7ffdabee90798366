import type { Manifest } from "./manifest-schema.ts";

/** What a model accepts of its input tokens, as its manifest shows it. */
export interface TokenLimits {
  /** Token ids must be below this: the logits' last dimension (undefined: not known). */
  readonly vocabSize?: number;
  /**
   * Positions a row may have (prompt plus generated tokens): the rows of the
   * learned position embedding, the table a position id indexes (undefined: the
   * model has none, e.g. rotary positions, which have no table to overrun).
   */
  readonly maxPositions?: number;
}

/** Position tables by the names transformers gives them (GPT-2's wpe, BERT's, OPT's). */
const POSITION_TABLE = /(^|\.)(wpe|position_embeddings|embed_positions)$/;

/**
 * A model's token limits from its manifest, so that a prompt it cannot run (a
 * token id outside its vocabulary, a row longer than its position table) is
 * refused when the run is submitted, by name, instead of failing inside ONNX
 * Runtime. The vocabulary is the root call's `logits` output's last dimension
 * (an encoder without logits: its token table's rows); the position table is the weight of the module whose input is `position_ids`.
 */
export function tokenLimits(manifest: Manifest): TokenLimits {
  const root = manifest.modules.find((m) => m.path === "");
  const logits = root?.calls[0]?.outputs.find(
    (o) => o.label === "logits" || o.tensor === "logits",
  );
  const isTable = (m: Manifest["modules"][number]) =>
    m.path !== "" &&
    m.params.some((p) => p.name === "weight" && p.shape.length === 2);
  // An encoder has no logits: its vocabulary is the token table's rows (the
  // table module whose input is input_ids).
  const tokenTable = manifest.modules.find(
    (m) =>
      isTable(m) &&
      m.calls.some((c) => c.inputs.some((i) => i.tensor === "input_ids")),
  );
  const vocab = logits
    ? logits.shape.at(-1)
    : tokenTable?.params.find((p) => p.name === "weight")?.shape[0];
  const positions =
    manifest.modules.find(
      (m) =>
        isTable(m) &&
        m.calls.some((c) => c.inputs.some((i) => i.tensor === "position_ids")),
    ) ??
    // Exports that compute position ids inside the graph: the table by name.
    manifest.modules.find((m) => isTable(m) && POSITION_TABLE.test(m.path));
  const table = positions?.params.find((p) => p.name === "weight")?.shape[0];
  return {
    ...(typeof vocab === "number" ? { vocabSize: vocab } : {}),
    ...(table !== undefined ? { maxPositions: table } : {}),
  };
}

/** A run's tokens over one of its model's token limits. */
export interface TokenLimitBreach {
  readonly limit: "vocabSize" | "maxPositions";
  readonly max: number;
  readonly actual: number;
  /** Names the limit, the model and the offending value. */
  readonly message: string;
}

/**
 * The first of `model`'s token limits a run breaks, given its largest token
 * id and its longest row (prompt plus generated tokens fed back), or
 * undefined. The API refuses such a run at submit and the engine before it
 * runs (a local run too), with the same message.
 */
export function tokenLimitBreach(
  model: string,
  limits: TokenLimits,
  size: { readonly maxTokenId: number; readonly longestRow: number },
): TokenLimitBreach | undefined {
  if (limits.vocabSize !== undefined && size.maxTokenId >= limits.vocabSize)
    return {
      limit: "vocabSize",
      max: limits.vocabSize,
      actual: size.maxTokenId,
      message: `token id ${size.maxTokenId} is outside model ${model}'s vocabulary of ${limits.vocabSize} tokens (ids 0 to ${limits.vocabSize - 1})`,
    };
  if (
    limits.maxPositions !== undefined &&
    size.longestRow > limits.maxPositions
  )
    return {
      limit: "maxPositions",
      max: limits.maxPositions,
      actual: size.longestRow,
      message: `a row of ${size.longestRow} tokens (prompt plus generated tokens) is longer than model ${model}'s ${limits.maxPositions} positions`,
    };
  return undefined;
}
