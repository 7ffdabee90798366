import { expect, it } from "vitest";
import type { Graph } from "./graph-schema.ts";
import { inputTokenBounds } from "./input-token-bounds.ts";

it("bounds tokens by UTF-8 bytes plus two per prompt, and counts ids exactly", () => {
  const graph = {
    traces: [
      {
        invokes: [
          { input: { kind: "text", prompts: ["ab", "é"] } }, // 2 + 2, 2 + 2
          { input: null },
        ],
      },
      { invokes: [{ input: { kind: "ids", ids: [[1, 2, 3, 4, 5, 6, 7]] } }] },
    ],
  } as unknown as Graph;
  expect(inputTokenBounds(graph)).toEqual({
    firstPassRows: 2,
    longestRow: 7,
    totalTokens: 4 + 4 + 7,
  });
});
