import type { GeneratedRow, GeneratedToken } from "@loupe/graph";

/**
 * A generated row's tokens from step `from` on (those a listener has not
 * seen yet), each with the row's text up to and including it, as a local
 * run streams them. The server keeps one text per row, the text after its
 * newest token, and a status may bring several new steps at once (the
 * client asked while the run went on): the text after an earlier step is
 * decoded from the row's ids with the model's tokenizer, whole, as the
 * engine decodes it. A row without text (a model without a tokenizer) gives
 * null texts, as a local run of it does; so does `decode` null.
 */
export function generatedTokensOf(
  row: GeneratedRow,
  from: number,
  decode: ((ids: readonly number[]) => string) | null,
): GeneratedToken[] {
  const tokens: GeneratedToken[] = [];
  for (let step = from; step < row.ids.length; step++) {
    const newest = step === row.ids.length - 1;
    tokens.push({
      trace: row.trace,
      invoke: row.invoke,
      row: row.row,
      step,
      id: row.ids[step]!,
      text:
        newest || row.text === null
          ? row.text
          : (decode?.(row.ids.slice(0, step + 1)) ?? null),
    });
  }
  return tokens;
}
