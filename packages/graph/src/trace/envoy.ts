import { activeBuilder } from "./graph-builder.ts";
import {
  TensorValue,
  toValue,
  type ModuleTarget,
  type Operand,
} from "./tensor-value.ts";
import { TraceError } from "./trace-error.ts";
import {
  describeSite,
  siteTensors,
  sourceOp,
  unknownSourceMessage,
  type HookSlot,
} from "../manifest/hook-site.ts";
import {
  unknownModuleMessage,
  type ModuleIndex,
} from "../manifest/module-index.ts";

/**
 * A module's output or inputs when the module returns a tuple: index it
 * (`.output[0]`) or name an element by its label (`.output.item("logits")`; typed
 * models also get `.output.logits`).
 */
export interface TupleValue {
  readonly [item: number]: TensorValue;
  /** The element with this label (e.g. `logits`) or index. */
  item(which: number | string): TensorValue;
  readonly length: number;
}

/** What `.output` gives: the tensor itself, or a tuple when the module returns one. */
export type ModuleValue = TensorValue & TupleValue;

/**
 * An operation inside a module (NNsight's `.source`): `attn.source.softmax_0`.
 * Its output is read, written and differentiated like a module's output.
 */
export interface SourceOpEnvoy {
  /** Its name in the module call: op type and index (`softmax_0`). */
  readonly name: string;
  /** The ONNX operator (`Softmax`). */
  readonly op: string;
  /** The exporter's node name, where it gave one. */
  readonly node: string | undefined;
  /** What it computes (a tuple when it has several outputs, as a Split). */
  readonly output: ModuleValue;
}

/**
 * A module call's own operations, by name (`.source.softmax_0`), in forward
 * order; `.names` lists them.
 */
export type SourceEnvoy = {
  readonly [op: string]: SourceOpEnvoy;
} & { readonly names: readonly string[] };

/** A module of the model, reached by its path (`lm.transformer.h[5].mlp`). */
export interface ModuleEnvoy {
  /** The path as written (aliases kept, so a graph can move to another architecture). */
  readonly path: string;
  /** The module's output (a tuple when the module returns one: see TupleValue). */
  readonly output: ModuleValue;
  /** The module's first input. */
  readonly input: TensorValue;
  /** All the module's inputs, as a tuple. */
  readonly inputs: TupleValue;
  /** The module's calls, for modules called more than once per forward pass. */
  readonly calls: readonly ModuleEnvoy[];
  /**
   * The operations the module computes itself (not in a submodule), each a
   * hook point: `lm.transformer.h[0].attn.source.softmax_0.output` is the
   * attention pattern.
   */
  readonly source: SourceEnvoy;
  /** A parameter (weight) of the module: `lm.lm_head.param("weight")`. */
  param(name: string): TensorValue;
  /** Applies the module to a value: `lm.lm_head.call(lm.ln_final.call(h))` (logit lens). */
  call(value: Operand): TensorValue;
  /** Bypasses the module in this invoke: its output is `value`, its inside never runs. */
  skip(value: Operand): void;
}

/** A module envoy whose children are reached as properties (and indices). */
export type Envoy = ModuleEnvoy & {
  readonly [child: string]: Envoy;
  readonly [index: number]: Envoy;
};

const RESERVED = new Set([
  "path",
  "output",
  "input",
  "inputs",
  "calls",
  "source",
  "param",
  "call",
  "skip",
]);

/** Builds the envoy of `path` (call `callIndex`) over a manifest index. */
export function makeEnvoy(
  index: ModuleIndex,
  path: string,
  callIndex = 0,
  extra: Record<string, unknown> = {},
): Envoy {
  const join = (name: string) => (path === "" ? name : `${path}.${name}`);
  const target = (
    slot: HookSlot,
    item: number | null,
    source?: string,
  ): ModuleTarget => ({
    module: path,
    call: callIndex,
    slot,
    ...(source === undefined ? {} : { source }),
    item,
  });
  const read = (
    slot: HookSlot,
    item: number | null,
    source?: string,
  ): TensorValue => {
    const builder = activeBuilder();
    builder.access(path, callIndex, slot, source);
    const id = builder.add({
      op: "read",
      args: [],
      ...target(slot, item, source),
    });
    return guardTensor(
      new TensorValue(id, builder, target(slot, item, source)),
      describeSite({ module: path, call: callIndex, slot, source }),
    );
  };
  const tuple = (slot: HookSlot, source?: string): TupleValue => {
    const builder = activeBuilder();
    const { call } = builder.access(path, callIndex, slot, source);
    const site = siteTensors(call, { module: path, slot, source });
    const specs = site.ok ? site.tensors : [];
    const what = describeSite({ module: path, call: callIndex, slot, source });
    const elementAt = (which: number | string): TensorValue => {
      const item =
        typeof which === "number"
          ? which
          : specs.findIndex((s) => s.label === which);
      if (item < 0 || item >= specs.length) {
        const labels = specs.map((s, i) => s.label ?? String(i)).join(", ");
        throw new TraceError(
          "BAD_ARGUMENT",
          `${what} has no element ${JSON.stringify(which)}; it has: ${labels}`,
          { module: path },
        );
      }
      return read(slot, item, source);
    };
    return new Proxy(
      { item: elementAt, length: specs.length },
      {
        get(t, key) {
          if (typeof key === "string" && /^\d+$/.test(key))
            return elementAt(Number(key));
          if (typeof key === "string" && specs.some((s) => s.label === key))
            return elementAt(key);
          if (key in t)
            return (t as unknown as Record<PropertyKey, unknown>)[key];
          if (typeof key === "string" && key in TensorValue.prototype) {
            throw new TraceError(
              "BAD_ARGUMENT",
              `${what} is a tuple: pick an element first, e.g. .${slot === "source" ? "output" : slot}[0].${key}(…)`,
              { module: path },
            );
          }
          return undefined;
        },
      },
    );
  };
  const self: ModuleEnvoy = {
    path,
    get output() {
      const call = index.module(path)?.calls[callIndex];
      if (call?.tuple) return tuple("output") as ModuleValue;
      return read("output", null) as ModuleValue;
    },
    get input() {
      return read("input", 0);
    },
    get inputs() {
      return tuple("input");
    },
    get calls() {
      const spec = index.module(path);
      return (spec?.calls ?? []).map((_, k) => makeEnvoy(index, path, k));
    },
    get source() {
      return sourceEnvoy(index, path, callIndex, read, tuple);
    },
    param(name) {
      const builder = activeBuilder();
      const spec = index.module(path);
      if (!spec)
        throw new TraceError("UNKNOWN_MODULE", `"${path}" is not a module`, {
          module: path,
        });
      if (!spec.params.some((p) => p.name === name)) {
        throw new TraceError(
          "BAD_ARGUMENT",
          `module "${path}" has no parameter "${name}"; it has: ${spec.params.map((p) => p.name).join(", ") || "none"}`,
          { module: path },
        );
      }
      return new TensorValue(
        builder.add({ op: "param", args: [], module: path, name }),
        builder,
      );
    },
    call(value) {
      const builder = activeBuilder();
      if (!index.module(path))
        throw new TraceError("UNKNOWN_MODULE", `"${path}" is not a module`, {
          module: path,
        });
      return new TensorValue(
        builder.add({
          op: "call_module",
          args: [toValue(value).id],
          module: path,
        }),
        builder,
      );
    },
    skip(value) {
      const builder = activeBuilder();
      const { real } = builder.access(path, callIndex, "input");
      const id = builder.add({
        op: "skip",
        args: [toValue(value).id],
        module: path,
        call: callIndex,
      });
      builder.markSkipped(real, callIndex, id);
    },
  };
  // A module list (children 0..n-1, as transformer.h) is also an array of its
  // children's envoys, so the tuple types generateModelTypes writes hold at
  // run time: `h.length`, `for (const layer of h)`, `h.map(…)`.
  let list: Envoy[] | null | undefined;
  const asList = (): Envoy[] | null => {
    if (list !== undefined) return list;
    const numbers = index
      .childrenOf(path)
      .filter((c) => /^\d+$/.test(c))
      .map(Number)
      .sort((a, b) => a - b);
    list =
      numbers.length > 0 && numbers.every((n, i) => n === i)
        ? numbers.map((n) => makeEnvoy(index, join(String(n))))
        : null;
    return list;
  };
  return new Proxy(self as Envoy, {
    get(t, key, receiver) {
      if (key === Symbol.iterator) {
        const items = asList();
        return items ? () => items[Symbol.iterator]() : undefined;
      }
      if (typeof key === "symbol") return undefined;
      if (key in extra) return extra[key];
      if (RESERVED.has(key)) return Reflect.get(t, key, receiver) as unknown;
      if (!/^\d+$/.test(key) && key in Array.prototype && asList()) {
        // On a copy, so that reverse() or sort() cannot reorder the module list.
        const items = [...asList()!];
        const member: unknown = Reflect.get(items, key);
        return typeof member === "function"
          ? (member as (...a: unknown[]) => unknown).bind(items)
          : member;
      }
      if (key === "then" || key === "toJSON") return undefined;
      const child = join(key);
      if (!index.resolve(child)) {
        throw new TraceError(
          "UNKNOWN_MODULE",
          unknownModuleMessage(index, child),
          { module: child, suggestions: index.suggest(child) },
        );
      }
      return makeEnvoy(index, child);
    },
  });
}

/** The `.source` of a module call: its operations by name. */
function sourceEnvoy(
  index: ModuleIndex,
  path: string,
  callIndex: number,
  read: (slot: HookSlot, item: number | null, source?: string) => TensorValue,
  tuple: (slot: HookSlot, source?: string) => TupleValue,
): SourceEnvoy {
  const where = path || "model";
  const callSpec = () => {
    const spec = index.module(path);
    if (!spec)
      throw new TraceError(
        "UNKNOWN_MODULE",
        `"${path}" is a container of modules, not a module: index into it`,
        { module: path },
      );
    const call = spec.calls[callIndex];
    if (!call)
      throw new TraceError(
        "BAD_ARGUMENT",
        `module "${path}" has ${spec.calls.length} call(s); call ${callIndex} does not exist`,
        { module: path },
      );
    return call;
  };
  const opEnvoy = (name: string): SourceOpEnvoy => {
    const call = callSpec();
    const op = sourceOp(call, name);
    if (!op)
      throw new TraceError(
        "BAD_ARGUMENT",
        unknownSourceMessage(path, call, name),
        { module: path },
      );
    const envoy: SourceOpEnvoy = {
      name,
      op: op.op,
      node: op.node,
      get output() {
        return (
          op.outputs.length > 1
            ? tuple("source", name)
            : read("source", null, name)
        ) as ModuleValue;
      },
    };
    if (!op.fused) return envoy;
    return new Proxy(envoy, {
      get(t, key, receiver) {
        if (key === "source")
          throw new TraceError(
            "BAD_ARGUMENT",
            `${where}.source.${name} is ${op.op}, a fused operator: what it computes inside (its attention pattern) stays inside ONNX Runtime's kernel and cannot be read or written; only its output can (export with eager attention to reach the pattern)`,
            { module: path },
          );
        return Reflect.get(t, key, receiver) as unknown;
      },
    });
  };
  return new Proxy({} as SourceEnvoy, {
    get(_t, key) {
      if (typeof key === "symbol" || key === "then" || key === "toJSON")
        return undefined;
      if (key === "names") return (callSpec().source ?? []).map((s) => s.name);
      return opEnvoy(key);
    },
  });
}

/** Makes `x[0]` on a plain tensor a clear error instead of `undefined`. */
function guardTensor(value: TensorValue, what: string): TensorValue {
  return new Proxy(value, {
    get(t, key, receiver) {
      if (typeof key === "string" && /^\d+$/.test(key)) {
        throw new TraceError(
          "BAD_ARGUMENT",
          `${what} is a single tensor, not a tuple: index it with .get(${key}, …)`,
        );
      }
      const v = Reflect.get(t, key, receiver) as unknown;
      return typeof v === "function"
        ? (v as (...a: unknown[]) => unknown).bind(t)
        : v;
    },
  });
}
