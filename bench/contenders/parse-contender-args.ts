import { parseArgs } from "node:util";

/** What every contender process takes: its model, timed calls per task, threads, where to dump outputs. */
export interface ContenderArgs {
  /** The model file or folder (the one positional argument). */
  readonly model: string;
  readonly rounds: number;
  readonly threads: number;
  readonly dump: string | undefined;
}

/**
 * Parses a contender's command line, `<script> MODEL [--rounds N] [--threads
 * T] [--dump DIR]`, the same for every contender the benchmark starts; a
 * missing model or a count that is not a positive integer fails naming it.
 */
export function parseContenderArgs(
  script: string,
  model: "MODEL.onnx" | "MODEL_DIR",
  defaultRounds: number,
  argv: readonly string[] = process.argv.slice(2),
): ContenderArgs {
  const usage = `usage: ${script} ${model} [--rounds N] [--threads T] [--dump DIR]`;
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      rounds: { type: "string", default: String(defaultRounds) },
      threads: { type: "string", default: "2" },
      dump: { type: "string" },
    },
  });
  const [target] = positionals;
  if (!target) throw new Error(usage);
  const count = (name: string, v: string, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min)
      throw new Error(
        `${usage}\n--${name} must be an integer >= ${min}, got "${v}"`,
      );
    return n;
  };
  return {
    model: target,
    rounds: count("rounds", values.rounds, 0),
    threads: count("threads", values.threads, 1),
    dump: values.dump,
  };
}
