import type { GraphNode } from "../format/graph-schema.ts";
import { describeSite, type HookSite } from "../manifest/hook-site.ts";
import type { ModuleIndex } from "../manifest/module-index.ts";
import type { ReportIssue } from "./report-issue.ts";
import { resolveSite, type ResolvedSite } from "./resolve-site.ts";

/** When a value exists: [trace, hook event, invoke]; constants and params exist from the start. */
type Time = readonly [number, number, number];

const START: Time = [-1, -1, -1];

/** What an invoke (or a step scope of one) has accessed so far, in forward order. */
interface InvokeOrder {
  lastEvent: number;
  lastAccess: string;
  skipped: { real: string; call: number; by: string }[];
}

/**
 * The forward pass's timeline, as nodes are checked in graph order: when each
 * value exists, and what each invoke has accessed and skipped. A hook must
 * come in forward order within its invoke, not reach into a skipped module,
 * and not use a value the forward pass computes only later (or in a later
 * invoke).
 */
export class Timeline {
  readonly #times = new Map<string, Time>();
  readonly #orders = new Map<string, InvokeOrder>();

  constructor(
    private readonly index: ModuleIndex,
    private readonly report: ReportIssue,
  ) {}

  /** Records that the node's value exists once its latest argument does (a hook moves it later). */
  enter(node: GraphNode): void {
    const argTime = node.args.reduce<Time>((latest, arg) => {
      const t = this.#times.get(arg) ?? START;
      return compareTime(t, latest) > 0 ? t : latest;
    }, START);
    this.#times.set(node.id, argTime);
  }

  /**
   * Resolves the module hook a node makes at `target` and checks the order
   * and the availability of the value it consumes; the node's value then
   * exists at that hook event. Undefined (and reported) when the site does
   * not exist. Called at most once per node, after `enter`.
   */
  hook(node: GraphNode, target: HookSite): ResolvedSite | undefined {
    const resolved = resolveSite(this.index, target);
    if (!resolved.ok) {
      this.report(node, resolved.message);
      return undefined;
    }
    const what = describeSite(target);
    this.#checkSkipped(node, target, resolved.real, what);
    const event = resolved.site.event;
    const order = this.#orderOf(node);
    if (event < order.lastEvent) {
      this.report(
        node,
        `${what} is accessed after ${order.lastAccess}, but the model computes it earlier: within an invoke, access modules in forward order`,
      );
    } else {
      order.lastEvent = event;
      order.lastAccess = what;
    }
    const here: Time = [node.trace, event, node.invoke];
    this.#checkAvailable(node, here, what);
    this.#times.set(node.id, here);
    return resolved;
  }

  /** Records that `node` skips the module `real` (its call `node.call`) in its invoke. */
  skip(node: Extract<GraphNode, { op: "skip" }>, real: string): void {
    this.#orderOf(node).skipped.push({
      real,
      call: node.call,
      by: node.id,
    });
  }

  #orderOf(node: GraphNode): InvokeOrder {
    const key = orderKey(node);
    const order = this.#orders.get(key) ?? {
      lastEvent: -1,
      lastAccess: "",
      skipped: [],
    };
    this.#orders.set(key, order);
    return order;
  }

  /** A skipped module's inside never runs, and it never reads its input. */
  #checkSkipped(
    node: GraphNode,
    target: HookSite,
    real: string,
    what: string,
  ): void {
    const { skipped } = this.#orderOf(node);
    const skipper = skipped.find((s) => real.startsWith(`${s.real}.`));
    if (skipper)
      this.report(
        node,
        `${what} is never computed: its ancestor "${skipper.real}" is skipped by node ${skipper.by}`,
      );
    const skippedItself =
      target.slot !== "output" &&
      skipped.find((s) => s.real === real && s.call === target.call);
    if (skippedItself)
      this.report(
        node,
        target.slot === "input"
          ? `${what} is accessed after node ${skippedItself.by} skipped "${real}": a skipped module never reads its input, so a write to it would do nothing (access the input before the skip)`
          : `${what} is never computed: node ${skippedItself.by} skips "${real}", so its operations never run`,
      );
  }

  /** The node's arguments must exist by the hook event `here` of its trace. */
  #checkAvailable(node: GraphNode, here: Time, what: string): void {
    const argTime = this.#times.get(node.id) ?? START;
    if (
      node.args.length === 0 ||
      argTime[0] !== node.trace ||
      compareTime(argTime, here) <= 0
    )
      return;
    const source = node.args.find(
      (a) => compareTime(this.#times.get(a) ?? START, here) > 0,
    );
    this.report(
      node,
      argTime[1] > here[1]
        ? `its value (from node ${source}) exists only later in the forward pass than ${what}`
        : `its value (from node ${source}) comes from a later invoke; invokes run in the order they are written`,
    );
  }
}

function compareTime(a: Time, b: Time): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** Forward order is kept per invoke, and per step scope in a generating trace. */
function orderKey(node: GraphNode): string {
  const s = node.steps;
  return `${node.trace}/${node.invoke}${s ? `/${s.from}:${s.to ?? ""}` : ""}`;
}
