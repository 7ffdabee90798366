import path from "node:path";
import {
  defineScript,
  runIfMain,
  type Loupe,
  type LoupeModel,
  type LoupeScript,
  type ScriptContext,
  type Tensor,
  type TextTokenizer,
} from "@loupe/sdk";
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

/** `" Paris" (p = 0.999)`: the top next token of these logits. */
export const showNext = (logits: Tensor, tokenizer: TextTokenizer) =>
  show(nextToken(logits, tokenizer));

/** What a script on the bundled model is given: its context, the typed model and its tokenizer. */
export type BundledScriptContext = ScriptContext & {
  /** The bundled model, whose traces run where the context says (here, or with --remote on the server). */
  readonly lm: LoupeModel<FactsGpt2>;
  readonly tokenizer: TextTokenizer;
};

/**
 * A script on the bundled model, as a script's default export: `loupe run`
 * runs it, and so does `npx tsx file.ts [--remote]`. It opens the model with
 * the context's trace options (`lm.withOptions(trace)`), so the script's
 * traces pass none, as in NNsight.
 *
 * @example
 * export default bundledScript(import.meta, async ({ lm, log }) => { … });
 */
export function bundledScript(
  meta: ImportMeta,
  body: (context: BundledScriptContext) => ReturnType<LoupeScript>,
): LoupeScript {
  const script = defineScript(async (context) => {
    const { lm, tokenizer } = await openBundledModel(context.loupe);
    return body({ ...context, lm: lm.withOptions(context.trace), tokenizer });
  });
  // Only when the file is the program's entry; its own errors end the process.
  void runIfMain(meta, script, { modelFiles: MODEL_FILES });
  return script;
}
