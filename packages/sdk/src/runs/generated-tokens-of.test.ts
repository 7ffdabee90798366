import path from "node:path";
import type { GeneratedToken } from "@loupe/graph";
import { afterAll, expect, it } from "vitest";
import { createLoupe } from "../client/loupe.ts";
import { generatedTokensOf } from "./generated-tokens-of.ts";

const modelFile = path.resolve(
  import.meta.dirname,
  "../../../../models/facts/model.onnx",
);
const loupe = createLoupe({
  url: "http://127.0.0.1:59999",
  modelFiles: { "facts-gpt2": modelFile },
});
afterAll(() => loupe.close());

it("gives a remote row's tokens the texts a local run streams, however many steps a status brings at once", async () => {
  const lm = await loupe.model("facts-gpt2");
  const local: GeneratedToken[] = [];
  await lm.generate(
    "The Louvre is located in the city of",
    { maxNewTokens: 4, onToken: (t) => local.push(t) },
    () => {},
  );
  // At least two steps (the model may stop early, at its end of text).
  expect(local.length).toBeGreaterThan(1);
  expect(local.map((t) => t.step)).toEqual(local.map((_, i) => i));
  expect(local.every((t) => typeof t.text === "string")).toBe(true);
  // The row as the server records it: every id, and the text after the newest.
  const row = {
    trace: 0,
    invoke: 0,
    row: 0,
    ids: local.map((t) => t.id),
    text: local.at(-1)!.text,
  };
  const tokenizer = await lm.tokenizer();
  const decode = (ids: readonly number[]) => tokenizer.decode(ids);
  // Every step in one status, or the later ones after one seen earlier.
  expect(generatedTokensOf(row, 0, decode)).toEqual(local);
  expect(generatedTokensOf(row, 1, decode)).toEqual(local.slice(1));
  expect(generatedTokensOf(row, local.length, decode)).toEqual([]);
  // A model without a tokenizer records no text: none is made up.
  expect(
    generatedTokensOf({ ...row, text: null }, 0, decode).map((t) => t.text),
  ).toEqual(local.map(() => null));
});
