import { activeBuilder } from "./graph-builder.ts";
import { TensorValue, type ModuleTarget } from "./tensor-value.ts";
import { TraceError } from "./trace-error.ts";
import {
  describeSite,
  siteTensors,
  type HookSlot,
} from "../manifest/hook-site.ts";
import type { TupleValue } from "./envoy.ts";

/** Reads the tensors at a module call's hook sites into the graph being traced. */
export interface HookReader {
  /** The tensor at a site (`item` null: the site's single tensor), as a read node. */
  readonly read: (
    slot: HookSlot,
    item: number | null,
    source?: string,
  ) => TensorValue;
  /** The site's tuple, whose elements are read when picked. */
  readonly tuple: (slot: HookSlot, source?: string) => TupleValue;
}

/**
 * The hook reader of module `path`'s call `callIndex`. Each read records the
 * access with the active builder first, so an unknown site fails at once
 * with a trace error.
 */
export function hookReader(path: string, callIndex: number): HookReader {
  const read = (
    slot: HookSlot,
    item: number | null,
    source?: string,
  ): TensorValue => {
    const builder = activeBuilder();
    builder.access(path, callIndex, slot, source);
    const target: ModuleTarget = {
      module: path,
      call: callIndex,
      slot,
      ...(source === undefined ? {} : { source }),
      item,
    };
    const id = builder.add({ op: "read", args: [], ...target });
    return guardTensor(
      new TensorValue(id, builder, target),
      describeSite({ module: path, call: callIndex, slot, source }),
    );
  };
  const tuple = (slot: HookSlot, source?: string): TupleValue =>
    tupleAt(path, callIndex, slot, source, read);
  return { read, tuple };
}

/**
 * The tuple at a site: elements by index (`[0]`) or label (`.logits`,
 * `.item("logits")`); a tensor method on the tuple itself is a clear error.
 */
function tupleAt(
  path: string,
  callIndex: number,
  slot: HookSlot,
  source: string | undefined,
  read: HookReader["read"],
): TupleValue {
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
      set(_t, key) {
        const element = /^\d+$/.test(String(key))
          ? `${scriptPath(what)}[${String(key)}]`
          : `${scriptPath(what)}.${String(key)}`;
        throw new TraceError(
          "BAD_ARGUMENT",
          `${element} cannot be assigned: Loupe writes with .set, so NNsight's \`${element} = value\` is ${element}.set(value)`,
          { module: path },
        );
      },
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
}

/** A module path or hook site as a script writes it: `transformer.h.2.output` is `lm.transformer.h[2].output`. */
export function scriptPath(path: string): string {
  return `lm${path === "" ? "" : "."}${path}`.replace(
    /\.(\d+)(?=\.|$)/g,
    "[$1]",
  );
}

/**
 * Makes `x[0]` on a plain tensor a clear error instead of `undefined`, and
 * `x[":, -1"] = v` (NNsight's write) one that says what to write instead.
 */
function guardTensor(value: TensorValue, what: string): TensorValue {
  return new Proxy(value, {
    set(t, key, newValue) {
      // Accessors of the value itself (`.grad = g`) keep working.
      if (typeof key === "string" && key in t)
        return Reflect.set(t, key, newValue, t);
      const [index, tensor] = [JSON.stringify(String(key)), scriptPath(what)];
      throw new TraceError(
        "BAD_ARGUMENT",
        `${tensor}[${index}] cannot be assigned: Loupe writes with .set, so NNsight's \`${tensor}[${String(key)}] = value\` is ${tensor}.set(${index}, value)`,
      );
    },
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
