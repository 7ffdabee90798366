import type {
  GenerateOptions,
  InvokeInput,
  StepRange,
} from "../format/graph-schema.ts";
import { TraceError } from "./trace-error.ts";
import type { GenerateOptionsInput, StepsInput, TraceInput } from "./model.ts";

/** An invoke's input in the graph format: prompts, or rows of token ids. */
export function toInvokeInput(input: TraceInput): InvokeInput {
  if (typeof input === "string") return { kind: "text", prompts: [input] };
  if (Array.isArray(input)) {
    if (input.length === 0)
      throw new TraceError(
        "BAD_ARGUMENT",
        "an invoke needs at least one prompt",
      );
    return { kind: "text", prompts: [...(input as string[])] };
  }
  const tokens = (
    input as { tokens: readonly (readonly number[])[] | readonly number[] }
  ).tokens;
  const rows =
    typeof tokens[0] === "number"
      ? [tokens as readonly number[]]
      : (tokens as readonly (readonly number[])[]);
  if (rows.length === 0 || rows.some((r) => r.length === 0))
    throw new TraceError(
      "BAD_ARGUMENT",
      "token input needs at least one non-empty row",
    );
  return { kind: "tokens", ids: rows.map((r) => [...r]) };
}

/** `lm.generate`'s options, checked, in the graph format. */
export function toGenerate(options: GenerateOptionsInput): GenerateOptions {
  const bad = (message: string) => {
    throw new TraceError("BAD_ARGUMENT", `lm.generate: ${message}`);
  };
  const { maxNewTokens, temperature, topK, seed, kvCache } = options ?? {};
  if (
    !Number.isInteger(maxNewTokens) ||
    maxNewTokens < 1 ||
    maxNewTokens > 4096
  )
    bad(`maxNewTokens must be an integer from 1 to 4096, got ${maxNewTokens}`);
  if (temperature !== undefined && !(temperature >= 0 && temperature <= 100))
    bad(`temperature must be from 0 (greedy) to 100, got ${temperature}`);
  if (topK !== undefined && !(Number.isInteger(topK) && topK >= 1))
    bad(`topK must be a positive integer, got ${topK}`);
  if (
    seed !== undefined &&
    !(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff)
  )
    bad(`seed must be an integer from 0 to 2^32 - 1, got ${seed}`);
  const stops =
    options.stop === undefined
      ? []
      : Array.isArray(options.stop)
        ? (options.stop as readonly (string | number)[])
        : [options.stop as string | number];
  const ids = stops.filter((x): x is number => typeof x === "number");
  const text = stops.filter((x): x is string => typeof x === "string");
  if (ids.some((i) => !Number.isInteger(i) || i < 0))
    bad(`stop token ids must be non-negative integers, got ${ids.join(", ")}`);
  if (text.some((t) => t.length === 0)) bad("a stop string cannot be empty");
  return {
    maxNewTokens,
    ...(temperature !== undefined ? { temperature } : {}),
    ...(topK !== undefined ? { topK } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(stops.length > 0
      ? {
          stop: {
            ...(ids.length ? { ids } : {}),
            ...(text.length ? { text } : {}),
          },
        }
      : {}),
    ...(kvCache !== undefined ? { kvCache } : {}),
  };
}

/** `tracer.iter`'s steps as a range [from, to), checked against the generation's length. */
export function toSteps(steps: StepsInput, maxNewTokens: number): StepRange {
  const [from, to] =
    typeof steps === "number"
      ? [steps, steps + 1]
      : Array.isArray(steps)
        ? [steps[0] as number, (steps[1] as number | undefined) ?? null]
        : [
            (steps as { from: number }).from,
            (steps as { to?: number | null }).to ?? null,
          ];
  if (!Number.isInteger(from) || from < 0)
    throw new TraceError(
      "BAD_ARGUMENT",
      `tracer.iter: the first step must be a non-negative integer, got ${from}`,
    );
  if (to !== null && (!Number.isInteger(to) || to <= from))
    throw new TraceError(
      "BAD_ARGUMENT",
      `tracer.iter: steps [${from}, ${to}) are empty: the end must be an integer after the start`,
    );
  if (from >= maxNewTokens)
    throw new TraceError(
      "BAD_ARGUMENT",
      `tracer.iter: step ${from} never runs: the generation has ${maxNewTokens} step(s), 0 to ${maxNewTokens - 1}`,
    );
  return { from, to };
}
