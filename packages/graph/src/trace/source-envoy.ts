import { TraceError } from "./trace-error.ts";
import { sourceOp, unknownSourceMessage } from "../manifest/hook-site.ts";
import type { ModuleIndex } from "../manifest/module-index.ts";
import type { HookReader } from "./hook-reader.ts";
import type { ModuleValue, SourceEnvoy, SourceOpEnvoy } from "./envoy.ts";

/** The `.source` of a module call: its operations by name. */
export function sourceEnvoy(
  index: ModuleIndex,
  path: string,
  callIndex: number,
  { read, tuple }: HookReader,
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
