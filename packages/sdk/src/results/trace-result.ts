import { generatedIds, savedSteps, type SavedTensor } from "@loupe/graph";
import type { RunStatus } from "../runs/run-status.ts";
import { Tensor } from "./tensor.ts";

/**
 * What a trace gives back: every saved value as a Tensor, by the name given to
 * `.save(name)`, and, for a remote run, the run it came from (id, metrics).
 *
 * @example
 * const { saves } = await lm.trace("Hello", () => { lm.output.item("logits").save("logits"); });
 * saves.logits.at(0, -1).argmax().item();
 */
export class TraceResult {
  readonly saves: Readonly<Record<string, Tensor>>;
  /**
   * What ran otherwise than the graph asked: a generation that asked for the
   * key/value cache (`kvCache: true`) on an export that cannot use one
   * recomputed every step. `lm.trace` and `lm.generate` also emit each as a
   * process warning (code LOUPE_RUN_WARNING).
   */
  readonly warnings: readonly string[];

  readonly #saved: Readonly<Record<string, SavedTensor>>;

  constructor(
    saved: Readonly<Record<string, SavedTensor>>,
    /** The platform's record of the run; null for a run on this machine. */
    readonly run: RunStatus | null,
    /** The engine's warnings (a remote run's are in its metrics). */
    warnings?: readonly string[],
  ) {
    this.warnings = warnings ?? run?.metrics?.warnings ?? [];
    this.#saved = saved;
    this.saves = Object.fromEntries(
      Object.entries(saved).map(([name, t]) => [name, new Tensor(t)]),
    );
  }

  /**
   * The tokens a generation made for one prompt row (of invoke `invoke`; the
   * first trace that generates, unless `trace` is given).
   */
  tokens(invoke = 0, row = 0, trace?: number): number[] {
    const traces =
      trace === undefined
        ? [
            ...new Set(
              Object.keys(this.#saved).flatMap((k) => {
                const m = /^generated\/(\d+)\//.exec(k);
                return m ? [Number(m[1])] : [];
              }),
            ),
          ].sort((a, b) => a - b)
        : [trace];
    const ids = generatedIds(this.#saved, traces[0] ?? 0)[invoke]?.[row];
    if (!ids)
      throw new Error(
        `no generated tokens for invoke ${invoke}, row ${row}${trace === undefined ? "" : ` of trace ${trace}`}: was the trace a generation?`,
      );
    return ids;
  }

  /** A value saved during a generation, per step (steps it did not run at left out). */
  steps(name: string): { step: number; value: Tensor }[] {
    const steps = savedSteps(this.#saved, name);
    if (steps.length === 0)
      throw new Error(
        `nothing was saved as "${name}" at any generation step (per-step saves are named ${name}@<step>); saved: ${Object.keys(this.saves).join(", ") || "(nothing)"}`,
      );
    return steps.map(({ step, value }) => ({ step, value: new Tensor(value) }));
  }

  /** The value saved as `name`; an error lists the names that were saved. */
  get(name: string): Tensor {
    const tensor = this.saves[name];
    if (!tensor)
      throw new Error(
        `nothing was saved as "${name}"; saved: ${Object.keys(this.saves).join(", ") || "(nothing)"}`,
      );
    return tensor;
  }
}
