import { activeBuilder } from "./graph-builder.ts";
import { hookReader, scriptPath, type HookReader } from "./hook-reader.ts";
import { sourceEnvoy } from "./source-envoy.ts";
import { TensorValue, toValue, type Operand } from "./tensor-value.ts";
import { TraceError } from "./trace-error.ts";
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
  const members = moduleMembers(
    index,
    path,
    callIndex,
    hookReader(path, callIndex),
  );
  return withChildren(index, path, members, extra);
}

/** A module call's own members: its hook points, parameters, call and skip. */
function moduleMembers(
  index: ModuleIndex,
  path: string,
  callIndex: number,
  hooks: HookReader,
): ModuleEnvoy {
  const { read, tuple } = hooks;
  const notAModule = () =>
    new TraceError("UNKNOWN_MODULE", `"${path}" is not a module`, {
      module: path,
    });
  return {
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
      return sourceEnvoy(index, path, callIndex, hooks);
    },
    param(name) {
      const builder = activeBuilder();
      const spec = index.module(path);
      if (!spec) throw notAModule();
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
      if (!index.module(path)) throw notAModule();
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
}

/**
 * The envoy proper: a module's members (and `extra`'s, for the model's root),
 * then its children by property, each checked against the manifest.
 */
function withChildren(
  index: ModuleIndex,
  path: string,
  members: ModuleEnvoy,
  extra: Record<string, unknown>,
): Envoy {
  let list: Envoy[] | null | undefined;
  const asList = (): Envoy[] | null => {
    if (list === undefined) list = moduleList(index, path);
    return list;
  };
  return new Proxy(members as Envoy, {
    set(_t, key) {
      throw assignmentError(index, path, String(key));
    },
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
      const child = childPath(path, key);
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

/**
 * Why `module.output = value` (NNsight's way to write) fails, saying what to
 * write instead: Loupe writes with `.set`, which the envoy's getters cannot
 * stand in for, since an assignment's value is lost to the caller.
 */
function assignmentError(
  index: ModuleIndex,
  path: string,
  key: string,
): TraceError {
  const where = scriptPath(path);
  const hooks: Record<string, string | undefined> = {
    output: index.module(path)?.calls[0]?.tuple ? "output[0]" : "output",
    input: "input",
    inputs: "inputs[0]",
  };
  const hook = hooks[key];
  if (hook === undefined)
    return new TraceError(
      "BAD_ARGUMENT",
      `${where}.${key} cannot be assigned: modules are read-only while tracing; a module's output is written with ${where}.output.set(value)`,
      { module: path },
    );
  return new TraceError(
    "BAD_ARGUMENT",
    `${where}.${key} cannot be assigned: Loupe writes with .set, so NNsight's \`${key} = value\` is ${where}.${hook}.set(value), and \`${key}[:, -1] = value\` is ${where}.${hook}.set(":, -1", value)`,
    { module: path },
  );
}

/**
 * A module list (children 0..n-1, as transformer.h) is also an array of its
 * children's envoys, so the tuple types generateModelTypes writes hold at
 * run time: `h.length`, `for (const layer of h)`, `h.map(…)`. Null for any
 * other module.
 */
function moduleList(index: ModuleIndex, path: string): Envoy[] | null {
  const numbers = index
    .childrenOf(path)
    .filter((c) => /^\d+$/.test(c))
    .map(Number)
    .sort((a, b) => a - b);
  return numbers.length > 0 && numbers.every((n, i) => n === i)
    ? numbers.map((n) => makeEnvoy(index, childPath(path, String(n))))
    : null;
}

function childPath(path: string, name: string): string {
  return path === "" ? name : `${path}.${name}`;
}
