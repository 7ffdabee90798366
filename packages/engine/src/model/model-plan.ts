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
  renameNode,
  type NodeSpec,
  type RawInitializer,
  type RawModel,
  type RawNode,
  type ValueInfo,
} from "../onnx/onnx-bytes.ts";
import { dtypeOfOnnx, inferOutputTypes } from "./element-types.ts";

/** A node of the planned model: an original node or an input identity the plan inserted. */
export type PlanNode =
  | RawNode
  | (NodeSpec & {
      readonly ints: Record<string, number>;
      readonly tensorTypes: Record<string, number>;
      readonly metadata: Record<string, string>;
    });

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

/** Raised when a model cannot be prepared for hooked execution. */
export class ModelPlanError extends Error {
  override readonly name = "ModelPlanError";
  readonly code = "MODEL_PLAN";
}

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

  // Input identities: outer calls first, so an inner call's identity reads the outer one's.
  const current = raw.nodes.map((n) => [...n.input]);
  const insertBefore = new Map<number, PlanNode[]>();
  const inputNames = new Map<string, string[]>();
  const order = manifest.modules
    .flatMap((m) => m.calls.map((c, k) => ({ path: m.path, k, c })))
    .filter((x) => x.path !== "")
    .sort((a, b) => a.c.enter - b.c.enter);
  for (const { path, k, c } of order) {
    const rec = recovered.get(`${path}#${k}`);
    if (!rec)
      throw new ModelPlanError(
        `module "${path}" call ${k} of the manifest is not in the model file (was the manifest imported from this file?)`,
      );
    const inside = new Set(rec.nodes);
    const names: string[] = [];
    c.inputs.forEach((spec, i) => {
      // What the call's nodes consume now (an outer identity's output, or the tensor).
      let now: string | undefined;
      for (const n of rec.nodes) {
        const j = raw.nodes[n]!.input.indexOf(spec.tensor);
        if (j >= 0) {
          now = current[n]![j];
          break;
        }
      }
      if (now === undefined)
        throw new ModelPlanError(
          `module "${path}" input ${i} (${spec.tensor}) is not consumed by its nodes`,
        );
      const renamed = `${spec.tensor}>${path}#${k}`;
      for (const n of inside) {
        const inputs = current[n]!;
        raw.nodes[n]!.input.forEach((t, j) => {
          if (t === spec.tensor) inputs[j] = renamed;
        });
      }
      // Just before its first consumer: an input computed inside the call's
      // span (Llama's mask, from a node scoped elsewhere) exists by then.
      const first = Math.min(
        ...rec.nodes.filter((n) => raw.nodes[n]!.input.includes(spec.tensor)),
      );
      const list = insertBefore.get(first) ?? [];
      list.push({
        opType: "Identity",
        input: [now],
        output: [renamed],
        name: `loupe/input/${path}#${k}/${i}`,
        ints: {},
        tensorTypes: {},
        metadata: {},
      });
      insertBefore.set(first, list);
      names.push(renamed);
    });
    inputNames.set(`${path}#${k}`, names);
  }

  const nodes: PlanNode[] = [];
  const newIndex: number[] = [];
  raw.nodes.forEach((n, i) => {
    nodes.push(...(insertBefore.get(i) ?? []));
    newIndex[i] = nodes.length;
    const inputs = current[i]!;
    nodes.push(
      inputs.every((t, j) => t === n.input[j])
        ? n
        : renameNode(n, { input: inputs }),
    );
  });

  const producer = new Map<string, number>();
  const lastUse = new Map<string, number>();
  nodes.forEach((n, i) => {
    n.output.forEach((t) => producer.set(t, i));
    n.input.forEach((t) => t && lastUse.set(t, i));
  });
  for (const o of raw.outputs) lastUse.set(o.name, nodes.length);

  const free = new Set<string>(initializers.keys());
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
  for (const n of nodes) {
    if (
      n.opType !== "RandomNormal" &&
      n.opType !== "RandomUniform" &&
      n.input.every((t) => t === "" || free.has(t))
    )
      n.output.forEach((t) => free.add(t));
  }

  /** The input identities the plan inserted, by the module call they feed. */
  const inputIdentities = nodes.flatMap((n, index) => {
    const m = /^loupe\/input\/(.*)#\d+\/\d+$/.exec(n.name ?? "");
    return m && !("bytes" in n) ? [{ path: m[1]!, index }] : [];
  });
  const index = new ModuleIndex(manifest);
  const hooks = new Map<string, HookPoint>();
  const spans = new Map<string, CallSpan>();
  for (const m of manifest.modules) {
    m.calls.forEach((c, k) => {
      const key = `${m.path}#${k}`;
      const rec = m.path === "" ? undefined : recovered.get(key);
      const names = inputNames.get(key) ?? c.inputs.map((i) => i.tensor);
      const identities = names.map((t) => producer.get(t));
      const inputPosition =
        m.path === "" ? 0 : Math.max(...identities.map((p) => (p ?? -1) + 1));
      c.inputs.forEach((spec, i) => {
        hooks.set(hookKey(m.path, k, "input", i), {
          module: m.path,
          call: k,
          slot: "input",
          item: i,
          tensor: names[i]!,
          position: inputPosition,
          event: c.enter,
          dtype: spec.dtype,
          shape: spec.shape,
          ...axesOf(spec.shape),
        });
      });
      c.outputs.forEach((spec, i) => {
        const p = producer.get(spec.tensor);
        hooks.set(hookKey(m.path, k, "output", i), {
          module: m.path,
          call: k,
          slot: "output",
          item: i,
          tensor: spec.tensor,
          position: p === undefined ? 0 : p + 1,
          event: c.exit,
          dtype: spec.dtype,
          shape: spec.shape,
          ...axesOf(spec.shape),
        });
      });
      for (const op of c.source ?? [])
        op.outputs.forEach((spec, i) => {
          const p = producer.get(spec.tensor);
          hooks.set(hookKey(m.path, k, "source", i, op.name), {
            module: m.path,
            call: k,
            slot: "source",
            source: op.name,
            item: i,
            tensor: spec.tensor,
            position: p === undefined ? 0 : p + 1,
            event: op.event,
            dtype: spec.dtype,
            shape: spec.shape,
            ...axesOf(spec.shape),
          });
        });
      if (rec) {
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
      }
    });
  }

  // Stages: cut after every layer of the model's layer list (the `layers.*` alias).
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
  return {
    raw,
    manifest,
    index,
    nodes,
    initializers,
    producer,
    lastUse,
    free,
    types,
    inputs: raw.inputs,
    outputs: raw.outputs,
    hooks,
    spans,
    stageCuts: [...new Set(stageCuts)].sort((a, b) => a - b),
    weightBytes: raw.initializers.reduce((s, i) => s + i.dataBytes, 0),
  };
}

function axesOf(shape: readonly Dim[]) {
  const batchAxes: number[] = [];
  const seqAxes: number[] = [];
  shape.forEach((d, i) => {
    if (d === "batch") batchAxes.push(i);
    else if (d === "seq") seqAxes.push(i);
  });
  return { batchAxes, seqAxes };
}

export { dtypeOfOnnx };
