import type { TextTokenizer } from "../tokenize/load-tokenizer.ts";
import { TraceError } from "../trace/trace-error.ts";
import type { TensorValue } from "../trace/tensor-value.ts";
import type { ExampleModel } from "./example-model.ts";

/**
 * The patching metric, logit(a) - logit(b) at the last position of the
 * invoke's first row, for token ids [a, b]. Each side reads the logits
 * afresh, as the gallery's sweep always has (its graph hash depends on it).
 */
export function logitDifference(
  lm: ExampleModel,
  [a, b]: readonly [number, number],
): TensorValue {
  const logit = (id: number) => lm.output.item("logits").at(`0, -1, ${id}`);
  return logit(a).sub(logit(b));
}

/** The token ids of the two answers a metric contrasts; each must be one token. */
export function answerIds(
  tokenizer: TextTokenizer,
  answers: readonly [string, string],
): [number, number] {
  const [a, b] = answers.map((answer) => {
    const ids = tokenizer.encode(answer);
    if (ids.length !== 1)
      throw new TraceError(
        "BAD_ARGUMENT",
        `answer ${JSON.stringify(answer)} is ${ids.length} tokens, expected 1: the metric compares the logits of single tokens`,
      );
    return ids[0]!;
  });
  return [a!, b!];
}

/** The number of token positions of two prompts patched into each other, which must be equal. */
export function countPositions(
  tokenizer: TextTokenizer,
  first: string,
  second: string,
): number {
  const [m, n] = [first, second].map((p) => tokenizer.encode(p).length);
  if (m !== n)
    throw new TraceError(
      "BAD_ARGUMENT",
      `the two prompts must have the same number of tokens: ${JSON.stringify(first)} has ${m}, ${JSON.stringify(second)} has ${n}`,
    );
  return m!;
}
