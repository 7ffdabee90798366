import type { Graph, GraphNode, InvokeInput } from "../format/graph-schema.ts";
import { manifestSchema, type Manifest } from "../manifest/manifest-schema.ts";
import { ModuleIndex } from "../manifest/module-index.ts";
import { makeEnvoy, type Envoy, type ModuleEnvoy } from "./envoy.ts";
import { GraphBuilder, isTracing, withBuilder } from "./graph-builder.ts";
import { TraceError } from "./trace-error.ts";

/** What a trace or invoke runs on: a prompt, prompts, or token ids. */
export type TraceInput =
  | string
  | readonly string[]
  | { readonly tokens: readonly (readonly number[])[] | readonly number[] };

/** Tracer controls, available inside `lm.trace(…)`. */
export interface Tracer {
  /** Adds rows to the batch; `fn`'s interventions see only these rows. No input: the whole batch. */
  invoke(input: TraceInput | null, fn: () => void): void;
  /** Stops the forward pass once the current point is reached (nothing later runs). */
  stop(): void;
  /** Saves the (post-intervention) outputs of these modules, as `cache/<path>`. */
  cache(modules: readonly (ModuleEnvoy | string)[]): void;
}

/** A model to trace: its module envoys plus trace, session and edit. */
export type Model = Envoy & {
  readonly manifest: Manifest;
  /**
   * Builds the intervention graph of one forward pass. With an input, `fn` writes
   * the interventions of that single invoke; without, `fn` calls `tracer.invoke`.
   *
   * @example
   * const graph = lm.trace("Hello World", () => { lm.output.item("logits").save("logits"); });
   */
  trace(input: TraceInput, fn: (tracer: Tracer) => void): Graph;
  trace(fn: (tracer: Tracer) => void): Graph;
  /** Several traces in one graph; values of earlier traces can be used in later ones. */
  session(fn: () => void): Graph;
  /** A model whose every trace starts with these interventions (for all rows). */
  edit(fn: () => void): Model;
  /** The same model without edits. */
  clearEdits(): Model;
};

let session: GraphBuilder | undefined;

/** The traceable model of a manifest (validated here; throws on a bad manifest). */
export function createModel(
  manifest: Manifest,
  edits: readonly GraphNode[] = [],
): Model {
  const parsed = manifestSchema.parse(manifest);
  const index = new ModuleIndex(parsed);
  const name = parsed.model.name;
  const builderFor = () => new GraphBuilder(index, edits);

  function trace(
    inputOrFn: TraceInput | ((t: Tracer) => void),
    maybeFn?: (t: Tracer) => void,
  ): Graph {
    const [input, fn] =
      typeof inputOrFn === "function"
        ? [undefined, inputOrFn]
        : [inputOrFn, maybeFn];
    if (!fn)
      throw new TraceError(
        "BAD_ARGUMENT",
        "lm.trace(input, fn): fn is missing",
      );
    if (isTracing() && !session)
      throw new TraceError(
        "BAD_ARGUMENT",
        "traces cannot nest: use lm.session(…) for several traces",
      );
    const builder = session ?? builderFor();
    return withBuilder(builder, () => {
      builder.beginTrace();
      const traceIndex = builder.traces.length - 1;
      let inInvoke = false;
      const tracer: Tracer = {
        invoke(invokeInput, body) {
          if (input !== undefined)
            throw new TraceError(
              "BAD_ARGUMENT",
              "this trace has an input already: call lm.trace(fn) without input to use invokes",
            );
          if (inInvoke)
            throw new TraceError("BAD_ARGUMENT", "invokes cannot nest");
          builder.beginInvoke(
            invokeInput === null ? null : toInvokeInput(invokeInput),
          );
          inInvoke = true;
          try {
            body();
          } finally {
            inInvoke = false;
          }
        },
        stop() {
          builder.add({ op: "stop", args: [] });
        },
        cache(modules) {
          const paths = modules.map((m) =>
            typeof m === "string" ? m : m.path,
          );
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
      if (input !== undefined) builder.beginInvoke(toInvokeInput(input));
      fn(tracer);
      const invokes = builder.traces[traceIndex]!.invokes.filter(
        (i) => !i.edit,
      );
      if (invokes.length === 0)
        throw new TraceError(
          "BAD_ARGUMENT",
          "a trace without input needs at least one tracer.invoke(input, fn)",
        );
      return builder.toGraph(name);
    });
  }

  const extra = {
    manifest: parsed,
    trace,
    session(fn: () => void): Graph {
      if (isTracing())
        throw new TraceError(
          "BAD_ARGUMENT",
          "sessions cannot nest or start inside a trace",
        );
      const builder = builderFor();
      session = builder;
      try {
        withBuilder(builder, fn);
      } finally {
        session = undefined;
      }
      if (builder.traces.length === 0)
        throw new TraceError(
          "BAD_ARGUMENT",
          "a session needs at least one lm.trace(…)",
        );
      return builder.toGraph(name);
    },
    edit(fn: () => void): Model {
      const builder = builderFor();
      withBuilder(builder, () => {
        builder.beginTrace();
        if (edits.length === 0) builder.beginInvoke(null, true);
        fn();
      });
      return createModel(parsed, builder.nodes);
    },
    clearEdits: () => createModel(parsed),
  };
  return makeEnvoy(index, "", 0, extra) as Model;
}

function toInvokeInput(input: TraceInput): InvokeInput {
  if (typeof input === "string") return { kind: "text", prompts: [input] };
  if (Array.isArray(input)) {
    if (input.length === 0)
      throw new TraceError(
        "BAD_ARGUMENT",
        "an invoke needs at least one prompt",
      );
    return { kind: "text", prompts: [...(input as string[])] };
  }
  const tokens = (
    input as { tokens: readonly (readonly number[])[] | readonly number[] }
  ).tokens;
  const rows =
    typeof tokens[0] === "number"
      ? [tokens as readonly number[]]
      : (tokens as readonly (readonly number[])[]);
  if (rows.length === 0 || rows.some((r) => r.length === 0))
    throw new TraceError(
      "BAD_ARGUMENT",
      "token input needs at least one non-empty row",
    );
  return { kind: "tokens", ids: rows.map((r) => [...r]) };
}
