import {
  TraceError,
  type GenerateOptionsInput,
  type GeneratedToken,
  type GenerateTracer,
  type GenericModules,
  type Graph,
  type Manifest,
  type Model,
  type ModelBase,
  type TextTokenizer,
  type TraceInput,
  type Tracer,
} from "@loupe/graph";
import type { TraceResult } from "../results/trace-result.ts";
import type { RunHandle, WaitOptions } from "../runs/run-handle.ts";

/** How a trace runs. */
export interface TraceOptions extends WaitOptions {
  /**
   * true: on the Loupe server (submitted through its API, waited for); false:
   * in this process with the local engine. Default: the client's `remote`.
   */
  readonly remote?: boolean;
  /** Remote only: serve an identical earlier run's result (default true). */
  readonly reuse?: boolean;
  /** A generation's tokens, each as it is generated (remotely: as the server records them). */
  readonly onToken?: (token: GeneratedToken) => void;
  /**
   * Stops a generation: here at its next step (the result holds what was
   * generated); remotely the run is cancelled (RunEndedError, after the
   * tokens streamed so far).
   */
  readonly cancel?: AbortSignal;
}

/** A token of a generation, as it streams (the vocabulary of @loupe/graph). */
export type { GeneratedToken };

/** Where a model's graphs run: the client gives each model one. */
export interface ModelBackend {
  readonly defaultRemote: boolean;
  run(graph: Graph, options: TraceOptions): Promise<TraceResult>;
  submit(graph: Graph, options: TraceOptions): Promise<RunHandle>;
  tokenizer(): Promise<TextTokenizer>;
}

/**
 * A model as scripts use it: its module tree (typed by `Tree`, see
 * `loupe models typegen`) plus trace and session, which build the
 * intervention graph and run it, here or on the server, with the same code.
 *
 * @example
 * const lm = await loupe.model<FactsGpt2>("facts-gpt2");
 * const { saves } = await lm.trace("The Louvre is in", () => {
 *   lm.output.item("logits").save("logits");
 * }, { remote: true });
 */
export type LoupeModel<Tree extends object = GenericModules> = Omit<
  Tree,
  Replaced
> &
  Omit<ModelBase<Tree>, Replaced> &
  LoupeModelMethods<Tree>;

/** What LoupeModel defines anew: the graph model's versions return graphs, these run them. */
type Replaced =
  | "trace"
  | "generate"
  | "session"
  | "edit"
  | "clearEdits"
  | keyof LoupeModelMethods<object>;

export interface LoupeModelMethods<Tree extends object> {
  /** The hosted model's name (what the server runs it under). */
  readonly modelName: string;
  readonly manifest: Manifest;
  /** Builds one forward pass's graph (as `lm.trace` in NNsight) and runs it. */
  trace(
    input: TraceInput,
    build: (tracer: Tracer) => void,
    options?: TraceOptions,
  ): Promise<TraceResult>;
  trace(
    build: (tracer: Tracer) => void,
    options?: TraceOptions,
  ): Promise<TraceResult>;
  /**
   * Generates tokens with interventions (as `lm.generate` in NNsight): at
   * every step, or at the steps `tracer.iter` names; values saved per step
   * (`result.steps(name)`), the tokens in `result.tokens()`. `onToken`
   * streams them as they come.
   *
   * @example
   * const out = await lm.generate("The Louvre is in", { maxNewTokens: 5, onToken: (t) => console.log(t.text) }, () => {});
   */
  generate(
    input: TraceInput,
    options: GenerateOptionsInput & TraceOptions,
    build: (tracer: GenerateTracer) => void,
  ): Promise<TraceResult>;
  generate(
    options: GenerateOptionsInput & TraceOptions,
    build: (tracer: GenerateTracer) => void,
  ): Promise<TraceResult>;
  /**
   * Several traces in one graph, run together: values of earlier traces can
   * be used in later ones without leaving the server. Add traces with
   * `session.trace(…)` (the same arguments as `lm.trace`, no options).
   */
  session(
    build: (session: SessionBuilder<Tree>) => void,
    options?: TraceOptions,
  ): Promise<TraceResult>;
  /** Runs a graph built earlier (with `lm.graphs`, or read from a file). */
  run(graph: Graph, options?: TraceOptions): Promise<TraceResult>;
  /**
   * Submits a graph to the server and returns at once, with a handle to follow
   * the run and fetch its result later.
   */
  submit(graph: Graph, options?: TraceOptions): Promise<RunHandle>;
  /**
   * The same model, whose traces run with these options unless they give
   * their own: a script passes its context's (`lm.withOptions(trace)`), and
   * its traces need none.
   */
  withOptions(options: TraceOptions): LoupeModel<Tree>;
  /** The graph builder itself: `lm.graphs.trace(…)` returns the Graph without running it. */
  readonly graphs: Model<Tree>;
  /** A model whose every trace starts with these interventions. */
  edit(fn: () => void): LoupeModel<Tree>;
  /** The same model without edits. */
  clearEdits(): LoupeModel<Tree>;
  /** The model's tokenizer (text to ids and back), for reading results. */
  tokenizer(): Promise<TextTokenizer>;
}

/** Adds traces to a session (`lm.session((session) => { session.trace(…) })`). */
export interface SessionBuilder<Tree extends object> {
  readonly trace: ModelBase<Tree>["trace"];
  /** A generation as a trace of the session (it may use earlier traces' values). */
  readonly generate: ModelBase<Tree>["generate"];
}

/**
 * Wraps a graph model so that trace and session run what they build. Module
 * access (`lm.transformer.h[0]`) goes to the graph model unchanged, so a
 * misspelled path raises the graph's TraceError (UNKNOWN_MODULE, with
 * suggestions) the moment it is written.
 */
export function wrapModel<Tree extends object>(
  graphs: Model<Tree>,
  backend: ModelBackend,
): LoupeModel<Tree> {
  const runGraph = (graph: Graph, options: TraceOptions = {}) =>
    backend.run(graph, options);
  let inSession = false;
  const outsideSession = () => {
    if (inSession)
      throw new TraceError(
        "BAD_ARGUMENT",
        "inside lm.session(…) add traces with session.trace(…): the session runs them all at once",
      );
  };
  const methods: LoupeModelMethods<Tree> = {
    modelName: graphs.manifest.model.name,
    manifest: graphs.manifest,
    trace(
      inputOrBuild: TraceInput | ((tracer: Tracer) => void),
      buildOrOptions?: ((tracer: Tracer) => void) | TraceOptions,
      maybeOptions?: TraceOptions,
    ): Promise<TraceResult> {
      outsideSession();
      if (typeof inputOrBuild === "function")
        return runGraph(
          graphs.trace(inputOrBuild),
          buildOrOptions as TraceOptions | undefined,
        );
      return runGraph(
        graphs.trace(inputOrBuild, buildOrOptions as (t: Tracer) => void),
        maybeOptions,
      );
    },
    generate(
      ...args:
        | [
            TraceInput,
            GenerateOptionsInput & TraceOptions,
            (t: GenerateTracer) => void,
          ]
        | [GenerateOptionsInput & TraceOptions, (t: GenerateTracer) => void]
    ): Promise<TraceResult> {
      outsideSession();
      const [input, options, build] =
        args.length === 3 ? args : [undefined, ...args];
      const {
        maxNewTokens,
        temperature,
        topK,
        seed,
        stop,
        kvCache,
        ...runOptions
      } = options;
      const generate = {
        maxNewTokens,
        ...(temperature !== undefined && { temperature }),
        ...(topK !== undefined && { topK }),
        ...(seed !== undefined && { seed }),
        ...(stop !== undefined && { stop }),
        ...(kvCache !== undefined && { kvCache }),
      };
      return runGraph(
        input === undefined
          ? graphs.generate(generate, build)
          : graphs.generate(input, generate, build),
        runOptions,
      );
    },
    session: (build, options) => {
      outsideSession();
      inSession = true;
      let graph: Graph;
      try {
        graph = graphs.session(() =>
          build({
            trace: ((...args: Parameters<typeof graphs.trace>) =>
              graphs.trace(...args)) as ModelBase<Tree>["trace"],
            generate: ((...args: Parameters<typeof graphs.generate>) =>
              graphs.generate(...args)) as ModelBase<Tree>["generate"],
          }),
        );
      } finally {
        inSession = false;
      }
      return runGraph(graph, options);
    },
    run: runGraph,
    submit: (graph, options = {}) => backend.submit(graph, options),
    graphs,
    withOptions: (defaults) =>
      wrapModel(graphs, withDefaultOptions(backend, defaults)),
    edit: (fn) => wrapModel(graphs.edit(fn), backend),
    clearEdits: () => wrapModel(graphs.clearEdits(), backend),
    tokenizer: () => backend.tokenizer(),
  };
  return new Proxy(graphs, {
    get(target, key) {
      if (typeof key === "string" && Object.hasOwn(methods, key))
        return (methods as unknown as Record<string, unknown>)[key];
      return Reflect.get(target, key) as unknown;
    },
  }) as unknown as LoupeModel<Tree>;
}

/** A backend whose runs take `defaults` where their own options say nothing. */
function withDefaultOptions(
  backend: ModelBackend,
  defaults: TraceOptions,
): ModelBackend {
  // The backend is a plain object (Loupe's #backend), so a spread keeps the rest.
  return {
    ...backend,
    defaultRemote: defaults.remote ?? backend.defaultRemote,
    run: (graph, options) => backend.run(graph, { ...defaults, ...options }),
    submit: (graph, options) =>
      backend.submit(graph, { ...defaults, ...options }),
  };
}
