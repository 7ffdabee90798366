import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadTokenizer } from "@loupe/graph";

// reference.json holds the ids Python's `tokenizers` gave for every committed
// prompt when the fixtures were built (fixtures/build_fixtures.py).
const fixtures = path.resolve(import.meta.dirname, "..", "..", "fixtures");
const reference = JSON.parse(
  fs.readFileSync(path.join(fixtures, "reference.json"), "utf8"),
) as {
  tokenizer: {
    cases: { text: string; ids: number[]; tokens: string[]; decoded: string }[];
  };
};
const tokenizer = loadTokenizer(
  JSON.parse(fs.readFileSync(path.join(fixtures, "tokenizer.json"), "utf8")),
);

describe("loadTokenizer", () => {
  it.each(reference.tokenizer.cases)(
    "gives Python's ids for $text",
    ({ text, ids, tokens, decoded }) => {
      expect(tokenizer.encode(text)).toEqual(ids);
      expect(tokenizer.tokens(text)).toEqual(tokens);
      expect(tokenizer.decode(ids)).toBe(decoded);
    },
  );

  it("rejects a file that is not a tokenizer, saying what it expected", () => {
    expect(() => loadTokenizer({ vocab: {} })).toThrow(
      'tokenizer.json: expected an object with a "model" field (a Hugging Face tokenizer file)',
    );
  });
});
