import {
  collectSpans,
  numberEvents,
  type NumberedEvents,
  type Span,
} from "./number-events.ts";
import type { ScopedModel } from "./onnx-bytes.ts";
import {
  hasDynamoScopes,
  readDynamoScopes,
  type NodeScopes,
  type ScopeKey,
} from "./read-dynamo-scopes.ts";

/** One call of a module as recovered from an ONNX graph. */
export interface RecoveredCall {
  /** Hook event numbers in forward order: input exists at `enter`, output at `exit`. */
  readonly enter: number;
  readonly exit: number;
  /**
   * Tensors consumed inside the call and produced outside it: weights, constants
   * and (dynamo exports) the graph-wide symbolic sizes excluded.
   */
  readonly inputs: readonly string[];
  /** Tensors produced inside the call and consumed outside it (or model outputs). */
  readonly outputs: readonly string[];
  /** Indexes (in the model's node list) of the nodes that make up the call. */
  readonly nodes: readonly number[];
  /**
   * The call's own operations (its `.source`): nodes whose innermost scope is
   * this call, in forward order, with their hook events. Nodes computed from
   * weights and constants alone are left out (they are part of the weights).
   */
  readonly source: readonly { readonly node: number; readonly event: number }[];
}

/** A module recovered from node scopes, with its calls in forward order. */
export interface RecoveredModule {
  readonly path: string;
  readonly calls: readonly RecoveredCall[];
}

/** The module tree of an export, and what could not be placed in it. */
export interface ModuleTree {
  readonly modules: readonly RecoveredModule[];
  /** Modules whose boundary could not be recovered (no input or no output), listed, never guessed. */
  readonly unresolved: readonly { path: string; reason: string }[];
}

const CONSTANT_OPS = new Set(["Constant", "ConstantOfShape"]);
/** Operators whose outputs are sequences or optionals, not tensors: no hook reads them. */
const NON_TENSOR_OPS = new Set([
  "SplitToSequence",
  "SequenceConstruct",
  "SequenceEmpty",
  "SequenceInsert",
  "SequenceErase",
  "Optional",
]);
const RANDOM_OPS = new Set([
  "RandomNormal",
  "RandomUniform",
  "RandomNormalLike",
  "RandomUniformLike",
  "Multinomial",
  "Bernoulli",
]);

/**
 * Splits a TorchScript exporter node name (`/transformer/h.0/mlp/c_fc/MatMul`)
 * into its module scope (`transformer.h.0.mlp.c_fc`) and call index. The exporter
 * names a module's second call `attn_1`: a trailing `_<k>` is read as call k only
 * when the scope without it also occurs (`knownScopes`).
 */
export function scopeOfNode(
  name: string,
  knownScopes?: ReadonlySet<string>,
): { path: string; call: number; segments: string[] } {
  if (!name.startsWith("/")) return { path: "", call: 0, segments: [] };
  const segments = name.slice(1).split("/").slice(0, -1);
  let call = 0;
  const parts = segments.map((segment, i) => {
    const m = /^(.*)_(\d+)$/.exec(segment);
    if (m && knownScopes?.has([...segments.slice(0, i), m[1]].join("/"))) {
      if (i === segments.length - 1) call = Number(m[2]);
      return m[1]!;
    }
    return segment;
  });
  return { path: parts.join("."), call, segments: parts };
}

/**
 * Recovers the module tree of an unoptimized ONNX export of a PyTorch model.
 * Module scopes come from node names for the TorchScript exporter
 * (`/transformer/h.0/mlp/c_fc/Gemm`: every scope prefix is a module, so that
 * node is inside `transformer.h.0.mlp.c_fc`, `transformer.h.0.mlp`,
 * `transformer.h.0`, `transformer` and the model "") and from node metadata
 * for the dynamo exporter (see readDynamoScopes), when names carry none.
 * A call's inputs are tensors its nodes consume but do not produce, its outputs
 * tensors its nodes produce that something outside consumes (or that the model
 * outputs). Event numbers follow the nodes' topological order.
 */
export function extractModuleTree(model: ScopedModel): ModuleTree {
  const torchScript = model.nodes.some((n) => n.name.startsWith("/"));
  return buildModuleTree(
    model,
    !torchScript && hasDynamoScopes(model)
      ? readDynamoScopes(model)
      : readTorchScriptScopes(model),
  );
}

/** Module calls of each node, read from TorchScript node names. */
function readTorchScriptScopes(model: ScopedModel): NodeScopes {
  const rawScopes = new Set<string>();
  for (const n of model.nodes) {
    if (!n.name.startsWith("/")) continue;
    const segments = n.name.slice(1).split("/").slice(0, -1);
    for (let i = 1; i <= segments.length; i++)
      rawScopes.add(segments.slice(0, i).join("/"));
  }
  const chains = model.nodes.map((n) => {
    // Segments, not dots: `h.0` is one module (a ModuleList's item), `h` none.
    const { call, segments: parts } = scopeOfNode(n.name, rawScopes);
    return Array.from({ length: parts.length + 1 }, (_, depth): ScopeKey => ({
      path: parts.slice(0, depth).join("."),
      call: depth === parts.length ? call : 0,
    }));
  });
  return { chains, unresolved: [] };
}

/** The calls, boundaries and event numbers of the modules a scope reader placed nodes in. */
function buildModuleTree(model: ScopedModel, scopes: NodeScopes): ModuleTree {
  const roles = tensorRoles(model);
  const spans = collectSpans(scopes.chains);
  const events = numberEvents(spans, scopes.chains, (index) => {
    const node = model.nodes[index]!;
    return (
      node.output.length > 0 &&
      !NON_TENSOR_OPS.has(node.opType) &&
      !node.output.every(
        (o) => o === "" || roles.constants.has(o) || roles.shapeDerived.has(o),
      )
    );
  });
  const context = { model, scopes, roles, events };
  const calls: { path: string; call: number; value: RecoveredCall }[] = [];
  const unresolved = [...scopes.unresolved];
  const undelimited = new Set(unresolved.map((u) => u.path));
  for (const [key, span] of spans) {
    const [path = "", callText = "0"] = key.split("#");
    if (undelimited.has(path)) continue;
    const recovered = recoverCall(context, path, key, span);
    if (typeof recovered === "string")
      unresolved.push({ path, reason: recovered });
    else calls.push({ path, call: Number(callText), value: recovered });
  }
  return { modules: groupByModule(calls), unresolved };
}

/** What each tensor is to module recovery, beyond the graph's nodes. */
interface TensorRoles {
  readonly initializers: ReadonlySet<string>;
  readonly graphOutputs: ReadonlySet<string>;
  /** Weights and what is computed from them alone: never a module's input, never a hook point. */
  readonly constants: ReadonlySet<string>;
  /** Shape arithmetic: not an operation of the model's math, so never in `.source`. */
  readonly shapeDerived: ReadonlySet<string>;
  /** The nodes reading each tensor, by index. */
  readonly consumers: ReadonlyMap<string, readonly number[]>;
}

function tensorRoles(model: ScopedModel): TensorRoles {
  const initializers = new Set(model.initializers.map((t) => t.name));
  const constants = findConstants(model, initializers);
  const consumers = new Map<string, number[]>();
  model.nodes.forEach((n, index) =>
    n.input.forEach((t) =>
      consumers.set(t, [...(consumers.get(t) ?? []), index]),
    ),
  );
  return {
    initializers,
    graphOutputs: new Set(model.outputs.map((o) => o.name)),
    constants,
    shapeDerived: findShapeDerived(model, initializers, constants),
    consumers,
  };
}

/**
 * Weights and what is computed from them alone (an Identity of a
 * deduplicated initializer, a Cast widening a float16 weight, a folded-late
 * transpose) are constants, as are the outputs of constant operators.
 */
function findConstants(
  model: ScopedModel,
  initializers: ReadonlySet<string>,
): Set<string> {
  const constants = new Set<string>();
  for (const n of model.nodes)
    if (
      CONSTANT_OPS.has(n.opType) ||
      (!RANDOM_OPS.has(n.opType) &&
        n.input.length > 0 &&
        n.input.every(
          (i) => i === "" || initializers.has(i) || constants.has(i),
        ))
    )
      n.output.forEach((o) => constants.add(o));
  return constants;
}

/**
 * Shape arithmetic: a Shape node and what is computed from shapes and
 * constants alone (sizes, the attention scale, a causal mask's slice).
 */
function findShapeDerived(
  model: ScopedModel,
  initializers: ReadonlySet<string>,
  constants: ReadonlySet<string>,
): Set<string> {
  const shapeDerived = new Set<string>();
  for (const n of model.nodes) {
    const derived =
      n.opType === "Shape" ||
      n.opType === "Size" ||
      (n.input.some((i) => shapeDerived.has(i)) &&
        n.input.every(
          (i) =>
            i === "" ||
            shapeDerived.has(i) ||
            initializers.has(i) ||
            constants.has(i),
        ));
    if (derived) n.output.forEach((o) => shapeDerived.add(o));
  }
  return shapeDerived;
}

/**
 * One module call's boundary: the tensors its nodes consume from outside
 * (the model's own inputs for the model "") and produce for outside. Returns
 * why it cannot be delimited instead when either is empty.
 */
function recoverCall(
  {
    model,
    scopes,
    roles,
    events,
  }: {
    readonly model: ScopedModel;
    readonly scopes: NodeScopes;
    readonly roles: TensorRoles;
    readonly events: NumberedEvents;
  },
  path: string,
  key: string,
  span: Span,
): RecoveredCall | string {
  const inside = new Set(span.nodes);
  const produced = new Set(span.nodes.flatMap((i) => model.nodes[i]!.output));
  const inputs: string[] = [];
  for (const i of span.nodes) {
    for (const t of model.nodes[i]!.input) {
      if (
        t === "" ||
        produced.has(t) ||
        roles.initializers.has(t) ||
        roles.constants.has(t) ||
        scopes.symbolicSizes?.has(t) === true ||
        inputs.includes(t)
      )
        continue;
      inputs.push(t);
    }
  }
  const outputs = span.nodes
    .flatMap((i) => model.nodes[i]!.output)
    .filter(
      (t) =>
        !roles.constants.has(t) &&
        (roles.graphOutputs.has(t) ||
          (roles.consumers.get(t) ?? []).some((c) => !inside.has(c))),
    );
  if (path === "")
    inputs.splice(0, inputs.length, ...model.inputs.map((i) => i.name));
  if (outputs.length === 0)
    return "no tensor leaves the module (its result is unused or folded away)";
  if (inputs.length === 0)
    return "it consumes no tensor from outside (only weights and constants)";
  const n = events.numbers.get(key)!;
  return {
    enter: n.enter,
    exit: n.exit,
    inputs,
    outputs,
    nodes: span.nodes,
    source: events.sourceOf.get(key) ?? [],
  };
}

/** Recovered calls grouped by module, modules in the order of their first call. */
function groupByModule(
  calls: readonly { path: string; call: number; value: RecoveredCall }[],
): RecoveredModule[] {
  const byPath = new Map<string, RecoveredCall[]>();
  for (const { path, call, value } of [...calls].sort(
    (a, b) => a.value.enter - b.value.enter,
  )) {
    const list = byPath.get(path) ?? [];
    list[call] = value;
    byPath.set(path, list);
  }
  return [...byPath].map(([path, list]) => ({
    path,
    calls: list.filter((c): c is RecoveredCall => c !== undefined),
  }));
}
