import type { SavedTensor } from "@loupe/graph";
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

  constructor(
    saved: Readonly<Record<string, SavedTensor>>,
    /** The platform's record of the run; null for a run on this machine. */
    readonly run: RunStatus | null,
  ) {
    this.saves = Object.fromEntries(
      Object.entries(saved).map(([name, t]) => [name, new Tensor(t)]),
    );
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
