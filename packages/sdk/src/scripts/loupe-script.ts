import path from "node:path";
import { pathToFileURL } from "node:url";
import { createLoupe, type Loupe, type LoupeOptions } from "../client/loupe.ts";
import type { TraceOptions } from "../models/loupe-model.ts";
import type { Tensor } from "../results/tensor.ts";

/** What a script is given: a client, where to run, and where to print. */
export interface ScriptContext {
  readonly loupe: Loupe;
  /** Run on the server (`--remote`) or here. */
  readonly remote: boolean;
  /** Options for every trace: `remote`, plus the runner's progress display. */
  readonly trace: TraceOptions;
  /** Prints a line of the script's output. */
  readonly log: (line: string) => void;
}

/**
 * A script `loupe run` can run: it traces, prints with `log`, and returns the
 * tensors it computed (tests compare them between local and remote runs).
 */
export type LoupeScript = (
  context: ScriptContext,
) => Promise<Record<string, Tensor> | void>;

/**
 * Declares a script. Export it as default; `loupe run file.ts [--remote]` runs
 * it, and so does `npx tsx file.ts [--remote]` when the file ends with
 * `runIfMain(import.meta, script)`.
 *
 * @example
 * export default defineScript(async ({ loupe, trace, log }) => {
 *   const lm = await loupe.model("facts-gpt2");
 *   const { saves } = await lm.trace("Hello", () => { lm.output.item("logits").save("logits"); }, trace);
 *   log(`shape ${saves.logits!.shape}`);
 * });
 */
export function defineScript(script: LoupeScript): LoupeScript {
  return script;
}

/** Loads a script file's default export (TypeScript needs tsx's loader registered). */
export async function importScript(file: string): Promise<LoupeScript> {
  const module = (await import(pathToFileURL(path.resolve(file)).href)) as {
    default?: unknown;
  };
  if (typeof module.default !== "function")
    throw new Error(
      `${file} has no default export to run: export default defineScript(async ({ loupe, trace, log }) => { … })`,
    );
  return module.default as LoupeScript;
}

/**
 * Runs `script` when its file is the program's entry (`npx tsx file.ts
 * [--remote]`), with a client from the environment and `loupe login`.
 */
export async function runIfMain(
  meta: ImportMeta,
  script: LoupeScript,
  options: LoupeOptions = {},
): Promise<void> {
  const entry = process.argv[1];
  if (!entry || path.resolve(entry) !== meta.filename) return;
  const remote = process.argv.includes("--remote") || (options.remote ?? false);
  const loupe = createLoupe(options);
  try {
    await script({
      loupe,
      remote,
      trace: { remote },
      log: (line) => console.log(line),
    });
  } finally {
    await loupe.close();
  }
}
