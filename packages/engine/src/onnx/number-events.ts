import type { ScopeKey } from "./read-dynamo-scopes.ts";

/** Where one module call lies in the node list, and how deep it is nested. */
export interface Span {
  first: number;
  last: number;
  depth: number;
  /** Indexes of its nodes, in order. */
  nodes: number[];
}

/** The key of a module call in spans and event maps. */
export const spanKey = (path: string, call: number): string =>
  `${path}#${call}`;

/** The span of every module call, by key, from each node's chain of calls. */
export function collectSpans(
  chains: readonly (readonly ScopeKey[])[],
): Map<string, Span> {
  const spans = new Map<string, Span>();
  chains.forEach((chain, index) => {
    for (const [depth, { path, call }] of chain.entries()) {
      const key = spanKey(path, call);
      const span = spans.get(key) ?? {
        first: index,
        last: index,
        depth,
        nodes: [],
      };
      span.last = index;
      span.nodes.push(index);
      spans.set(key, span);
    }
  });
  return spans;
}

/** The hook event numbers of module calls and of their own operations. */
export interface NumberedEvents {
  /** Each call's enter and exit events, by key. */
  readonly numbers: ReadonlyMap<string, { enter: number; exit: number }>;
  /** Each call's own operations (`.source`): node index and event, in order. */
  readonly sourceOf: ReadonlyMap<string, { node: number; event: number }[]>;
}

const RANK = { enter: 0, op: 1, exit: 2 } as const;

/**
 * Numbers hook events in forward order: at each node index, enters (outer
 * first), then the node's own operation (a `.source` hook of its innermost
 * call, for nodes `isSourceOp` accepts), then exits (inner first).
 */
export function numberEvents(
  spans: ReadonlyMap<string, Span>,
  chains: readonly (readonly ScopeKey[])[],
  isSourceOp: (index: number) => boolean,
): NumberedEvents {
  const events: {
    at: number;
    kind: "enter" | "op" | "exit";
    depth: number;
    key: string;
  }[] = [];
  for (const [key, span] of spans) {
    events.push(
      { at: span.first, kind: "enter", depth: span.depth, key },
      { at: span.last, kind: "exit", depth: span.depth, key },
    );
  }
  chains.forEach((chain, index) => {
    const innermost = chain.at(-1);
    if (innermost === undefined || !isSourceOp(index)) return;
    events.push({
      at: index,
      kind: "op",
      depth: chain.length - 1,
      key: spanKey(innermost.path, innermost.call),
    });
  });
  events.sort(
    (a, b) =>
      a.at - b.at ||
      RANK[a.kind] - RANK[b.kind] ||
      (a.kind === "enter" ? a.depth - b.depth : b.depth - a.depth),
  );
  const numbers = new Map<string, { enter: number; exit: number }>();
  const sourceOf = new Map<string, { node: number; event: number }[]>();
  events.forEach((e, i) => {
    if (e.kind === "op") {
      const list = sourceOf.get(e.key) ?? [];
      list.push({ node: e.at, event: i });
      sourceOf.set(e.key, list);
      return;
    }
    numbers.set(e.key, {
      ...(numbers.get(e.key) ?? { enter: -1, exit: -1 }),
      [e.kind]: i,
    });
  });
  return { numbers, sourceOf };
}
