/**
 * Labels for the `length` entries of a heatmap axis, by the axis's name: a
 * "position" axis as long as the prompt gets `index: "token"` (the token
 * JSON-quoted, so leading spaces show, and the index keeping repeated tokens
 * apart), a "layer" axis gets `L0`, `L1` …, any other axis its indices.
 */
export function labelAxis(
  axis: string,
  length: number,
  promptTokens: readonly string[] | undefined,
): string[] {
  if (axis === "position" && promptTokens?.length === length)
    return promptTokens.map((t, i) => `${i}: ${JSON.stringify(t)}`);
  const prefix = axis === "layer" ? "L" : "";
  return Array.from({ length }, (_, i) => `${prefix}${i}`);
}
