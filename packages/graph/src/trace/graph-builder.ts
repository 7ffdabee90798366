import type {
  GenerateOptions,
  Graph,
  GraphNode,
  InvokeInput,
  StepRange,
} from "../format/graph-schema.ts";
import { GRAPH_FORMAT, GRAPH_FORMAT_VERSION } from "../format/graph-schema.ts";
import type { ModuleCall, ModuleSpec } from "../manifest/manifest-schema.ts";
import {
  unknownModuleMessage,
  type ModuleIndex,
} from "../manifest/module-index.ts";
import {
  describeSite,
  siteTensors,
  type HookSlot,
} from "../manifest/hook-site.ts";
import {
  captureStack,
  recordTracedStacks,
  type CapturedStack,
} from "./source-frames.ts";
import { TraceError } from "./trace-error.ts";

/** A node as the builder receives it: everything but its id and position. */
export type NodeDraft = DistributiveOmit<
  GraphNode,
  "id" | "trace" | "invoke" | "steps"
>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown
  ? Omit<T, K>
  : never;

interface InvokeState {
  lastEvent: number;
  lastAccess: string;
  skipped: { real: string; call: number; by: string }[];
}

/** What a module access resolved to. */
export interface ModuleAccess {
  readonly real: string;
  readonly spec: ModuleSpec;
  readonly call: ModuleCall;
}

/**
 * Accumulates the nodes of one session (one or more traces) while user code
 * runs, and enforces what can only be checked in program order: within an
 * invoke, modules are accessed in forward order, and never inside a skipped one.
 */
export class GraphBuilder {
  readonly traces: {
    invokes: { input: InvokeInput | null; edit?: boolean }[];
    generate?: GenerateOptions;
  }[] = [];
  /** The generation steps new nodes run at (set inside tracer.iter). */
  steps: StepRange | undefined;
  readonly nodes: GraphNode[] = [];
  /** Each node's call stack at its creation, for traceSources (kept beside the graph, not in it). */
  readonly stacks = new Map<string, CapturedStack>();
  #nextId = 0;
  readonly #ids = new Set<string>();
  #states = new Map<string, InvokeState>();
  #position: { trace: number; invoke: number } | undefined;

  constructor(
    readonly index: ModuleIndex,
    readonly edits: readonly GraphNode[],
    readonly editStacks: ReadonlyMap<string, CapturedStack> = new Map(),
  ) {}

  /** Starts a new trace (forward pass); its first invoke holds the model's edits, if any. */
  beginTrace(generate?: GenerateOptions): void {
    this.traces.push(generate ? { invokes: [], generate } : { invokes: [] });
    this.steps = undefined;
    if (this.edits.length > 0) {
      const trace = this.traces.length - 1;
      this.beginInvoke(null, true);
      const ids = new Map<string, string>();
      for (const edit of this.edits) {
        const id = `n${this.#nextId++}`;
        ids.set(edit.id, id);
        this.#ids.add(id);
        const stack = this.editStacks.get(edit.id);
        if (stack) this.stacks.set(id, stack);
        this.nodes.push({
          ...edit,
          id,
          trace,
          invoke: 0,
          args: edit.args.map((a) => ids.get(a)!),
        });
      }
    }
  }

  /** Starts an invoke of the current trace; `null` input sees the whole batch. */
  beginInvoke(input: InvokeInput | null, edit = false): void {
    const trace = this.traces.length - 1;
    const invokes = this.traces[trace]!.invokes;
    invokes.push(edit ? { input, edit: true } : { input });
    this.#position = { trace, invoke: invokes.length - 1 };
  }

  /** The trace and invoke new nodes go to. */
  get position(): { trace: number; invoke: number } {
    if (!this.#position)
      throw new TraceError(
        "NO_ACTIVE_TRACE",
        "no invoke is open: call tracer.invoke(input, fn) first",
      );
    return this.#position;
  }

  /** Appends a node at the current position and returns its id. */
  add(draft: NodeDraft): string {
    const id = `n${this.#nextId++}`;
    this.nodes.push({
      ...draft,
      id,
      ...this.position,
      ...(this.steps ? { steps: { ...this.steps } } : {}),
    });
    this.#ids.add(id);
    this.stacks.set(id, captureStack());
    return id;
  }

  /** True if the node belongs to this builder. */
  owns(id: string): boolean {
    return this.#ids.has(id);
  }

  /**
   * Resolves a module hook access and checks its order within the current invoke:
   * an access earlier in the forward pass than one already made is an error, as is
   * any access inside a module that this invoke skips.
   */
  access(
    path: string,
    call: number,
    slot: HookSlot,
    source?: string,
  ): ModuleAccess {
    const resolved = this.index.resolve(path);
    if (!resolved) {
      throw new TraceError(
        "UNKNOWN_MODULE",
        unknownModuleMessage(this.index, path),
        {
          module: path,
          suggestions: this.index.suggest(path),
        },
      );
    }
    const spec = resolved.spec;
    if (!spec)
      throw new TraceError(
        "UNKNOWN_MODULE",
        `"${path}" is a container of modules, not a module: index into it`,
        { module: path },
      );
    const callSpec = spec.calls[call];
    if (!callSpec) {
      throw new TraceError(
        "BAD_ARGUMENT",
        `module "${path}" is called ${spec.calls.length} time(s) per forward pass; call ${call} does not exist`,
        { module: path },
      );
    }
    const key = this.#stateKey();
    const state = this.#states.get(key) ?? {
      lastEvent: -1,
      lastAccess: "",
      skipped: [],
    };
    this.#states.set(key, state);
    const what = describeSite({ module: path, call, slot, source });
    const site = siteTensors(callSpec, { module: path, slot, source });
    if (!site.ok)
      throw new TraceError("BAD_ARGUMENT", site.reason, { module: path });
    const skipper = state.skipped.find((s) =>
      resolved.real.startsWith(`${s.real}.`),
    );
    if (skipper) {
      throw new TraceError(
        "SKIPPED_MODULE",
        `${what} is never computed: its ancestor "${skipper.real}" is skipped by node ${skipper.by}`,
        { module: path, nodeId: skipper.by },
      );
    }
    const skippedItself =
      slot !== "output" &&
      state.skipped.find((s) => s.real === resolved.real && s.call === call);
    if (skippedItself) {
      // NNsight's test_out_of_order_skip: a write here would be dropped.
      throw new TraceError(
        "SKIPPED_MODULE",
        slot === "input"
          ? `${what} is accessed after node ${skippedItself.by} skipped "${resolved.real}": a skipped module never reads its input, so a write to it would do nothing (access the input before the skip)`
          : `${what} is never computed: node ${skippedItself.by} skips "${resolved.real}", so its operations never run`,
        { module: path, nodeId: skippedItself.by },
      );
    }
    const event = site.event;
    if (event < state.lastEvent) {
      throw new TraceError(
        "OUT_OF_ORDER",
        `${what} is accessed after ${state.lastAccess}, but the model computes it earlier: within an invoke, access modules in forward order (use another invoke, or a session, to go back)`,
        { module: path },
      );
    }
    state.lastEvent = event;
    state.lastAccess = what;
    return { real: resolved.real, spec, call: callSpec };
  }

  /** Records that the current invoke skips call `call` of `real` (its descendants never run, its input is never read). */
  markSkipped(real: string, call: number, by: string): void {
    this.#states.get(this.#stateKey())!.skipped.push({ real, call, by });
  }

  /** Forward order is checked per invoke, and per step scope when generating. */
  #stateKey(): string {
    const { trace, invoke } = this.position;
    const s = this.steps;
    return `${trace}/${invoke}${s ? `/${s.from}:${s.to ?? ""}` : ""}`;
  }

  /** The graph built so far, with its nodes' stacks recorded beside it (traceSources). */
  toGraph(model: string): Graph {
    const graph: Graph = {
      format: GRAPH_FORMAT,
      version: GRAPH_FORMAT_VERSION,
      model,
      traces: this.traces.map((t) => ({
        invokes: t.invokes.map((i) => ({ ...i })),
        ...(t.generate ? { generate: structuredClone(t.generate) } : {}),
      })),
      nodes: [...this.nodes],
    };
    recordTracedStacks(graph, new Map(this.stacks));
    return graph;
  }
}

let active: GraphBuilder | undefined;

/** The builder of the trace being written, or an error saying there is none. */
export function activeBuilder(): GraphBuilder {
  if (!active) {
    throw new TraceError(
      "NO_ACTIVE_TRACE",
      "module values exist only while a trace is being built: use them inside lm.trace(...)",
    );
  }
  return active;
}

/** Runs `fn` with `builder` active (tracing is synchronous, so one global slot suffices). */
export function withBuilder<T>(builder: GraphBuilder, fn: () => T): T {
  const previous = active;
  active = builder;
  try {
    return fn();
  } finally {
    active = previous;
  }
}

/** True while some trace is being built. */
export function isTracing(): boolean {
  return active !== undefined;
}
