import path from "node:path";
import type { Loupe, LoupeModel, Tensor, TextTokenizer } from "@loupe/sdk";
import type { FactsGpt2 } from "./types/facts-gpt2.ts";

/** Loupe's bundled model (models/facts): its hosted name and its files here. */
export const MODEL = "facts-gpt2";
export const MODEL_FILES = {
  [MODEL]: path.resolve(
    import.meta.dirname,
    "..",
    "models",
    "facts",
    "model.onnx",
  ),
};

/** The bundled model, typed by its module tree, and its tokenizer (to read results). */
export async function openBundledModel(
  loupe: Loupe,
): Promise<{ lm: LoupeModel<FactsGpt2>; tokenizer: TextTokenizer }> {
  const lm = await loupe.model<FactsGpt2>(MODEL);
  return { lm, tokenizer: await lm.tokenizer() };
}

/** The top token after the last position of the first row, and its probability. */
export function nextToken(
  logits: Tensor,
  tokenizer: TextTokenizer,
): { id: number; token: string; prob: number } {
  const last = logits.at(0, -1);
  const id = last.argmax().item();
  return {
    id,
    token: tokenizer.decode([id]),
    prob: last.softmax().at(id).item(),
  };
}

/** `" Paris" (p = 0.999)` */
export const show = (p: { token: string; prob: number }) =>
  `${JSON.stringify(p.token)} (p = ${p.prob.toFixed(3)})`;
