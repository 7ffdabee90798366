import type { Graph } from "../format/graph-schema.ts";

/** Where a script made a node: the file as the runtime names it (a URL or a path), and the line and column. */
export interface SourceFrame {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/**
 * The call stack of one node's creation, captured unformatted: V8 records
 * the frames when the Error is made and formats them only when `stack` is
 * read, so tracing pays for the capture alone and a graph whose sources are
 * never asked for never formats one.
 */
export type CapturedStack = Error;

// Loupe's own frames (the envoy, its proxies, the builder) sit above the
// script's; enough of them to reach the script's frame from any method.
const CAPTURED_FRAMES = 16;

/** Captures the current call stack, to be read by sourceOf if anyone asks. */
export function captureStack(): CapturedStack {
  const errorClass = Error as { stackTraceLimit?: number };
  const limit = errorClass.stackTraceLimit;
  errorClass.stackTraceLimit = CAPTURED_FRAMES;
  try {
    return new Error("source of a graph node");
  } finally {
    errorClass.stackTraceLimit = limit;
  }
}

// V8's "    at fn (file:///x/y.ts:12:5)" (the path may hold spaces), its
// "    at /x/y.ts:12:5", and SpiderMonkey's and JavaScriptCore's
// "fn@file:///x/y.ts:12:5".
const IN_PARENS = /\((.+?):(\d+):(\d+)\)\s*$/;
const BARE =
  /(?:^|\s|@)((?:[a-z][\w+.-]*:\/\/|\/|[A-Za-z]:[\\/]).*?):(\d+):(\d+)\s*$/;

/** The frames of a captured stack that name a file, innermost first. */
function framesOf(stack: CapturedStack): SourceFrame[] {
  const frames: SourceFrame[] = [];
  for (const text of (stack.stack ?? "").split("\n")) {
    const m = IN_PARENS.exec(text) ?? BARE.exec(text);
    if (m)
      frames.push({ file: m[1]!, line: Number(m[2]), column: Number(m[3]) });
  }
  return frames;
}

/**
 * True for the frames of Loupe's tracing code: those in the folder of the
 * innermost frame (this module's: the tracing code's folder, or the built
 * bundle's), tests aside, and those of the runtime and of installed packages.
 */
function isOwnFrame(file: string, ownFolder: string): boolean {
  return (
    (file.startsWith(ownFolder) && !/\.test\.[cm]?[jt]sx?$/.test(file)) ||
    /[\\/]node_modules[\\/]/.test(file) ||
    /^(?:node|internal)[:/]/.test(file)
  );
}

/** The innermost frame of a captured stack outside Loupe: the line of the script that made the node. */
export function sourceOf(stack: CapturedStack): SourceFrame | undefined {
  const frames = framesOf(stack);
  const ownFolder = frames[0]?.file.replace(/[^\\/]*$/, "") ?? "";
  return frames.find((f) => !isOwnFrame(f.file, ownFolder));
}

const traced = new WeakMap<Graph, ReadonlyMap<string, CapturedStack>>();
const resolved = new WeakMap<Graph, ReadonlyMap<string, SourceFrame>>();

/** Records the stacks of a traced graph's nodes beside it (never in it: they are no part of its hash). */
export function recordTracedStacks(
  graph: Graph,
  stacks: ReadonlyMap<string, CapturedStack>,
): void {
  traced.set(graph, stacks);
}

/**
 * Where the script made each node of a graph that `lm.trace`, `generate` or
 * `session` returned: node id to its file, line and column (an empty map for a
 * graph built otherwise, such as one parsed from JSON). Kept beside the graph
 * object, not in it, so the graph's JSON and hash do not depend on where
 * the script lives; the SDK sends these with a run, so that a validation
 * error can name the script's line.
 *
 * @example
 * const graph = lm.trace("Hi", () => lm.transformer.h[0].output.save("h"));
 * traceSources(graph).get("n1"); // { file: "file:///…/script.ts", line: 1, column: 52 }
 */
export function traceSources(graph: Graph): ReadonlyMap<string, SourceFrame> {
  const known = resolved.get(graph);
  if (known) return known;
  const sources = new Map<string, SourceFrame>();
  for (const [id, stack] of traced.get(graph) ?? []) {
    const frame = sourceOf(stack);
    if (frame) sources.set(id, frame);
  }
  resolved.set(graph, sources);
  return sources;
}
