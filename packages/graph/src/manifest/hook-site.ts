import type { ModuleCall, SourceOp, TensorSpec } from "./manifest-schema.ts";

/** Where a hook reads or writes in a module call: its inputs, its outputs, or an operation inside it (`.source`). */
export type HookSlot = "input" | "output" | "source";

/** A hook site of a module call, as graph nodes name it. */
export interface HookSite {
  readonly module: string;
  readonly call: number;
  readonly slot: HookSlot;
  /** For `source`: the operation's name in the call (`softmax_0`). */
  readonly source?: string | undefined;
  /** Which input or tuple element; null for a single tensor. */
  readonly item: number | null;
}

/** The tensors at a site, when it exists, or why it does not. */
export type SiteTensors =
  | {
      readonly ok: true;
      readonly tensors: readonly TensorSpec[];
      /** The hook event at which they exist. */
      readonly event: number;
      /** Whether the site is a tuple (`.output[0]`): a tuple-returning module's output, a multi-output operation. */
      readonly tuple: boolean;
      readonly op?: SourceOp;
    }
  | { readonly ok: false; readonly reason: string };

/** How a site reads in messages: `transformer.h.0.attn.source.softmax_0.output`. */
export function describeSite(site: Omit<HookSite, "item">): string {
  const call = `${site.module || "model"}${site.call > 0 ? `.calls[${site.call}]` : ""}`;
  return site.slot === "source"
    ? `${call}.source.${site.source ?? "?"}.output`
    : `${call}.${site.slot}`;
}

/** The operation named `name` among a call's own operations. */
export function sourceOp(call: ModuleCall, name: string): SourceOp | undefined {
  return call.source?.find((s) => s.name === name);
}

/**
 * Why `name` is not an operation of the call: the manifest predates
 * `.source`, or the name is unknown (with the nearest names, and any fused
 * operator that hides the tensors inside it).
 */
export function unknownSourceMessage(
  module: string,
  call: ModuleCall,
  name: string,
): string {
  const where = module || "model";
  if (!call.source)
    return `${where}.source is not in this model's manifest (imported before .source existed): re-import the model`;
  const fused = call.source.filter((s) => s.fused);
  const near = call.source
    .map((s) => s.name)
    .filter((n) => n.replace(/_\d+$/, "") === name.replace(/_\d+$/, ""));
  const hint =
    near.length > 0
      ? `; operations of that kind: ${near.join(", ")}`
      : call.source.length > 0
        ? `; it has: ${call.source
            .slice(0, 12)
            .map((s) => s.name)
            .join(
              ", ",
            )}${call.source.length > 12 ? `, … (${call.source.length} in all)` : ""}`
        : "; it has no operations of its own";
  const inside =
    fused.length > 0
      ? `. ${fused.map((f) => `${f.name} (${f.op})`).join(", ")} is a fused operator: what it computes inside (an attention pattern) cannot be reached, only its output`
      : "";
  return `${where} has no operation "${name}"${hint}${inside}`;
}

/** The tensors at `site` of `call`, its event and tuple-ness. */
export function siteTensors(
  call: ModuleCall,
  site: Omit<HookSite, "item" | "call">,
): SiteTensors {
  if (site.slot === "input")
    return { ok: true, tensors: call.inputs, event: call.enter, tuple: true };
  if (site.slot === "output")
    return {
      ok: true,
      tensors: call.outputs,
      event: call.exit,
      tuple: call.tuple,
    };
  const op =
    site.source === undefined ? undefined : sourceOp(call, site.source);
  if (!op)
    return {
      ok: false,
      reason:
        site.source === undefined
          ? `${site.module || "model"}.source: name the operation (source: "softmax_0")`
          : unknownSourceMessage(site.module, call, site.source),
    };
  return {
    ok: true,
    tensors: op.outputs,
    event: op.event,
    tuple: op.outputs.length > 1,
    op,
  };
}
