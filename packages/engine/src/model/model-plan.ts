import {
  ModuleIndex,
  type Dim,
  type DType,
  type HookSlot,
  type Manifest,
} from "@loupe/graph";
import {
  extractModuleTree,
  type RecoveredCall,
} from "../onnx/extract-module-tree.ts";
import {
  readRawModel,
  type RawInitializer,
  type RawModel,
  type ValueInfo,
} from "../onnx/onnx-bytes.ts";
import { inferOutputTypes } from "./element-types.ts";
import {
  insertInputIdentities,
  type InputIdentities,
  type PlanNode,
} from "./input-identities.ts";

/** A hook point of the forward pass: a module call's input or output tensor, or an output of an operation inside it (`.source`). */
export interface HookPoint {
  readonly module: string;
  readonly call: number;
  readonly slot: HookSlot;
  /** For slot `source`: the operation's name (`softmax_0`). */
  readonly source?: string;
  readonly item: number;
  /** The tensor in the planned model (an input identity's output for inputs). */
  readonly tensor: string;
  /** Cut position: the hook's value exists after nodes [0, position). */
  readonly position: number;
  /** The manifest's hook event (enter for inputs, exit for outputs). */
  readonly event: number;
  readonly dtype: DType;
  readonly shape: readonly Dim[];
  /** Axes whose dimension is the batch (rows) and the sequence (tokens). */
  readonly batchAxes: readonly number[];
  readonly seqAxes: readonly number[];
}

/** A module call's nodes, for cloning it in `module.call(x)`. */
export interface CallSpan {
  /**
   * Indexes of the call's nodes in the planned list: its own input
   * identities excluded, its submodules' included.
   */
  readonly nodes: readonly number[];
  readonly first: number;
  readonly last: number;
  /** The planned names of its inputs (identity outputs) and its output tensor. */
  readonly inputs: readonly string[];
  readonly output: string;
}

/**
 * A model prepared for hooked execution, computed once at load. Every module
 * call's inputs pass through an Identity node of its own, so writing a module's
 * input changes what that module sees and nothing else (the residual branch
 * that reads the same tensor keeps the original, as in PyTorch). Positions are
 * cut points in the planned node order; the model runs as pieces between cuts.
 */
export interface ModelPlan {
  readonly raw: RawModel;
  readonly manifest: Manifest;
  readonly index: ModuleIndex;
  readonly nodes: readonly PlanNode[];
  readonly initializers: ReadonlyMap<string, RawInitializer>;
  readonly producer: ReadonlyMap<string, number>;
  /** The last node index that consumes each tensor. */
  readonly lastUse: ReadonlyMap<string, number>;
  /** Tensors computable from weights and constants alone (each piece recomputes them). */
  readonly free: ReadonlySet<string>;
  /** ONNX element type of every tensor. */
  readonly types: ReadonlyMap<string, number>;
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  /** `${path}#${call}/${slot}/${item}` (`/source:${name}/${item}`) -> hook point. */
  readonly hooks: ReadonlyMap<string, HookPoint>;
  readonly spans: ReadonlyMap<string, CallSpan>;
  /** Cut positions of the stages made at load (layer boundaries). */
  readonly stageCuts: readonly number[];
  /** Bytes of all weights. */
  readonly weightBytes: number;
}

export const hookKey = (
  module: string,
  call: number,
  slot: HookSlot,
  item: number,
  source?: string,
) =>
  `${module}#${call}/${slot}${slot === "source" ? `:${source ?? ""}` : ""}/${item}`;

/**
 * Prepares a model (its ONNX bytes, or its parts as `readRawModel` or
 * `storeWeights` give them, and its imported manifest) for hooked execution.
 */
export function planModel(
  model: Uint8Array | RawModel,
  manifest: Manifest,
): ModelPlan {
  const raw = model instanceof Uint8Array ? readRawModel(model) : model;
  const initializers = new Map(raw.initializers.map((i) => [i.name, i]));
  const tree = extractModuleTree(raw);
  const recovered = new Map<string, RecoveredCall>(
    tree.modules.flatMap((m) =>
      m.calls.map((c, k) => [`${m.path}#${k}`, c] as const),
    ),
  );
  const identities = insertInputIdentities(raw, manifest, recovered);
  const { nodes } = identities;
  const producer = new Map<string, number>();
  const lastUse = new Map<string, number>();
  nodes.forEach((n, i) => {
    n.output.forEach((t) => producer.set(t, i));
    n.input.forEach((t) => t && lastUse.set(t, i));
  });
  for (const o of raw.outputs) lastUse.set(o.name, nodes.length);
  const hooks = planHooks(manifest, producer, identities.inputNames);
  return {
    raw,
    manifest,
    index: new ModuleIndex(manifest),
    nodes,
    initializers,
    producer,
    lastUse,
    free: freeTensors(initializers, nodes),
    types: tensorTypes(raw, nodes),
    inputs: raw.inputs,
    outputs: raw.outputs,
    hooks,
    spans: planSpans(manifest, recovered, producer, identities),
    stageCuts: stageCutsOf(manifest, hooks),
    weightBytes: raw.initializers.reduce((s, i) => s + i.dataBytes, 0),
  };
}

/** The ONNX element type of every tensor, from the initializers and inputs through each node. */
function tensorTypes(
  raw: RawModel,
  nodes: readonly PlanNode[],
): Map<string, number> {
  const types = new Map<string, number>();
  for (const i of raw.initializers) types.set(i.name, i.dataType);
  for (const i of raw.inputs) types.set(i.name, i.elemType);
  // An input identity can precede its input's producer in the planned order:
  // types settle in a second pass.
  for (let pass = 0; pass < 2; pass++)
    for (const n of nodes) {
      const outs = inferOutputTypes(n, (t) => types.get(t));
      n.output.forEach((t, j) => {
        const type = outs[j];
        if (type !== undefined) types.set(t, type);
      });
    }
  return types;
}

/** Tensors computable from weights and constants alone (random operators excepted). */
function freeTensors(
  initializers: ReadonlyMap<string, RawInitializer>,
  nodes: readonly PlanNode[],
): Set<string> {
  const free = new Set<string>(initializers.keys());
  for (const n of nodes) {
    if (
      n.opType !== "RandomNormal" &&
      n.opType !== "RandomUniform" &&
      n.input.every((t) => t === "" || free.has(t))
    )
      n.output.forEach((t) => free.add(t));
  }
  return free;
}

/**
 * Every hook point of the manifest's module calls: inputs (at the call's
 * input identities, once all of them have run), outputs and operations
 * inside (`.source`: after the node that produces them).
 */
function planHooks(
  manifest: Manifest,
  producer: ReadonlyMap<string, number>,
  inputNames: ReadonlyMap<string, readonly string[]>,
): Map<string, HookPoint> {
  const hooks = new Map<string, HookPoint>();
  const after = (tensor: string) => {
    const p = producer.get(tensor);
    return p === undefined ? 0 : p + 1;
  };
  for (const m of manifest.modules)
    m.calls.forEach((c, k) => {
      const at = { module: m.path, call: k };
      const names =
        inputNames.get(`${m.path}#${k}`) ?? c.inputs.map((i) => i.tensor);
      const inputPosition =
        m.path === ""
          ? 0
          : Math.max(...names.map((t) => (producer.get(t) ?? -1) + 1));
      c.inputs.forEach((spec, i) => {
        hooks.set(hookKey(m.path, k, "input", i), {
          ...at,
          slot: "input",
          item: i,
          tensor: names[i]!,
          position: inputPosition,
          event: c.enter,
          ...typeOfHook(spec),
        });
      });
      c.outputs.forEach((spec, i) => {
        hooks.set(hookKey(m.path, k, "output", i), {
          ...at,
          slot: "output",
          item: i,
          tensor: spec.tensor,
          position: after(spec.tensor),
          event: c.exit,
          ...typeOfHook(spec),
        });
      });
      for (const op of c.source ?? [])
        op.outputs.forEach((spec, i) => {
          hooks.set(hookKey(m.path, k, "source", i, op.name), {
            ...at,
            slot: "source",
            source: op.name,
            item: i,
            tensor: spec.tensor,
            position: after(spec.tensor),
            event: op.event,
            ...typeOfHook(spec),
          });
        });
    });
  return hooks;
}

/** A hooked tensor's dtype and shape, and which of its axes are the batch and the sequence. */
function typeOfHook(spec: { dtype: DType; shape: readonly Dim[] }) {
  const batchAxes: number[] = [];
  const seqAxes: number[] = [];
  spec.shape.forEach((d, i) => {
    if (d === "batch") batchAxes.push(i);
    else if (d === "seq") seqAxes.push(i);
  });
  return { dtype: spec.dtype, shape: spec.shape, batchAxes, seqAxes };
}

/** Each module call's nodes in the planned list (see CallSpan), by `${path}#${call}`. */
function planSpans(
  manifest: Manifest,
  recovered: ReadonlyMap<string, RecoveredCall>,
  producer: ReadonlyMap<string, number>,
  { nodes, newIndex, inputNames }: InputIdentities,
): Map<string, CallSpan> {
  /** The input identities the plan inserted, by the module call they feed. */
  const inputIdentities = nodes.flatMap((n, index) => {
    const m = /^loupe\/input\/(.*)#\d+\/\d+$/.exec(n.name ?? "");
    return m && !("bytes" in n) ? [{ path: m[1]!, index }] : [];
  });
  const spans = new Map<string, CallSpan>();
  for (const m of manifest.modules)
    m.calls.forEach((c, k) => {
      const key = `${m.path}#${k}`;
      const rec = m.path === "" ? undefined : recovered.get(key);
      if (!rec) return;
      const names = inputNames.get(key) ?? c.inputs.map((i) => i.tensor);
      const identities = names.map((t) => producer.get(t));
      const own = rec.nodes.map((n) => newIndex[n]!);
      // A child's identity sits just before its first consumer, beside
      // (after) this call's own identities.
      const lo = Math.min(
        ...own,
        ...identities.filter((i): i is number => i !== undefined),
      );
      const hi = Math.max(...own);
      // A clone of a composite module must feed its children the clone's
      // values: their input identities are part of the call.
      const inner = inputIdentities
        .filter(
          (x) =>
            x.path.startsWith(`${m.path}.`) && x.index > lo && x.index < hi,
        )
        .map((x) => x.index);
      const planned = [...own, ...inner].sort((a, b) => a - b);
      spans.set(key, {
        nodes: planned,
        first: Math.min(...planned),
        last: Math.max(...planned),
        inputs: names,
        output: c.outputs[0]?.tensor ?? "",
      });
    });
  return spans;
}

/** Stages: a cut after every layer of the model's layer list (the `layers.*` alias), in order. */
function stageCutsOf(
  manifest: Manifest,
  hooks: ReadonlyMap<string, HookPoint>,
): number[] {
  const layerPattern = manifest.aliases["layers.*"];
  const stageCuts: number[] = [];
  if (layerPattern) {
    const re = new RegExp(
      `^${layerPattern.replace(/[.]/g, "\\.").replace("*", "\\d+")}$`,
    );
    for (const m of manifest.modules)
      if (re.test(m.path)) {
        const h = hooks.get(hookKey(m.path, 0, "output", 0));
        if (h) stageCuts.push(h.position);
      }
  }
  return [...new Set(stageCuts)].sort((a, b) => a - b);
}
