import type { GenerateOptions, StepRange } from "../format/graph-schema.ts";
import type { ModuleIndex } from "../manifest/module-index.ts";
import type { GraphBuilder } from "./graph-builder.ts";
import type { GenerateTracer, TraceInput } from "./model.ts";
import { toInvokeInput, toSteps } from "./trace-input.ts";
import { TraceError } from "./trace-error.ts";

/**
 * The tracer controls of one trace, writing into `builder`: invokes (only in
 * a trace given no input of its own), early stop, caching, and (generating)
 * step scopes.
 */
export function createTracer(
  builder: GraphBuilder,
  index: ModuleIndex,
  input: TraceInput | undefined,
  generating: GenerateOptions | undefined,
): GenerateTracer {
  let inInvoke = false;
  const scoped = (steps: StepRange | undefined, body: () => void) => {
    const outer = builder.steps;
    builder.steps = steps;
    try {
      body();
    } finally {
      builder.steps = outer;
    }
  };
  return {
    iter(steps, body) {
      if (!generating)
        throw new TraceError(
          "BAD_ARGUMENT",
          "tracer.iter scopes generation steps: use it inside lm.generate(…)",
        );
      scoped(toSteps(steps, generating.maxNewTokens), body);
    },
    all(body) {
      if (!generating)
        throw new TraceError(
          "BAD_ARGUMENT",
          "tracer.all scopes generation steps: use it inside lm.generate(…)",
        );
      scoped(undefined, body);
    },
    invoke(invokeInput, body) {
      if (input !== undefined)
        throw new TraceError(
          "BAD_ARGUMENT",
          "this trace has an input already: call lm.trace(fn) without input to use invokes",
        );
      if (inInvoke) throw new TraceError("BAD_ARGUMENT", "invokes cannot nest");
      builder.beginInvoke(
        invokeInput === null ? null : toInvokeInput(invokeInput),
      );
      inInvoke = true;
      try {
        return body();
      } finally {
        inInvoke = false;
      }
    },
    stop() {
      builder.add({ op: "stop", args: [] });
    },
    cache(modules) {
      const paths = modules.map((m) => (typeof m === "string" ? m : m.path));
      for (const p of paths)
        if (!index.module(p))
          throw new TraceError(
            "UNKNOWN_MODULE",
            `cache: "${p}" is not a module`,
            { module: p },
          );
      builder.add({ op: "cache", args: [], modules: paths });
    },
  };
}
