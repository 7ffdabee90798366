import dagre from "@dagrejs/dagre";
import type { DagNodeKind, GraphDag } from "@loupe/graph";

/** A point in the drawing's coordinates (SVG user units, y down). */
export interface DrawingPoint {
  readonly x: number;
  readonly y: number;
}

/** An axis-aligned box: top-left corner and size. */
export interface DrawingBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** A node placed in the drawing, with the text that fits its box. */
export interface DrawnNode extends DrawingBox {
  readonly id: string;
  readonly op: string;
  readonly kind: DagNodeKind;
  /** What the box shows: `label`, cut with "…" when longer than MAX_LABEL_CHARS. */
  readonly text: string;
  /** The node's whole description (the box's tooltip). */
  readonly label: string;
}

/** An edge routed by dagre: from the boundary of one box to the boundary of another. */
export interface DrawnEdge {
  readonly from: string;
  readonly to: string;
  /** dagre's points; the first lies on `from`'s box, the last on `to`'s box. */
  readonly points: readonly DrawingPoint[];
  /** SVG path data of the line, stopping where the arrowhead begins. */
  readonly path: string;
  /** The arrowhead as a triangle: tip (the last point) and two base corners. */
  readonly arrow: readonly [DrawingPoint, DrawingPoint, DrawingPoint];
}

/** The box around one invoke's nodes, with its caption. */
export interface DrawnGroup extends DrawingBox {
  readonly trace: number;
  readonly invoke: number;
  /** What the caption band shows: `label`, cut with "…" to the group's width. */
  readonly text: string;
  /** The whole caption (the group's tooltip). */
  readonly label: string;
}

/** A whole drawing: its size and everything placed in it. */
export interface GraphDrawingLayout {
  readonly width: number;
  readonly height: number;
  readonly nodes: readonly DrawnNode[];
  readonly edges: readonly DrawnEdge[];
  readonly groups: readonly DrawnGroup[];
}

/** Font size of every text in the drawing, in user units (monospace throughout). */
export const FONT_SIZE = 12;
/**
 * Advance of one monospace character at FONT_SIZE. Generous (real fonts measure
 * 0.55 to 0.6 em), since the server cannot measure text: boxes err on the wide side.
 */
export const CHAR_WIDTH = FONT_SIZE * 0.62;
/** Longest label a box shows in full; longer ones are cut, whole text in the tooltip. */
export const MAX_LABEL_CHARS = 44;
/** Height of a group's caption band above its nodes. */
export const CAPTION_HEIGHT = 22;

/** Left and right padding of a group's caption. */
export const CAPTION_PAD_X = 8;

const NODE_HEIGHT = 30;
const RANK_SEP = 56;
/** The size of a drawing with no nodes (room for a "no nodes" note). */
const EMPTY = { width: 160, height: 48 };
const NODE_PAD_X = 12;
const MARGIN = 16;
const ARROW_LENGTH = 8;
const ARROW_HALF_WIDTH = 4;

function cut(text: string, chars: number): string {
  if (text.length <= chars) return text;
  return chars <= 1 ? "…" : `${text.slice(0, chars - 1)}…`;
}

const groupId = (trace: number, invoke: number) => `group:${trace}:${invoke}`;

/** Path data through dagre's points, rounded at the bends (quadratic curves through midpoints). */
function pathThrough(points: readonly DrawingPoint[]): string {
  const f = (p: DrawingPoint) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`;
  const [first, ...rest] = points;
  if (!first) return "";
  const parts = [`M${f(first)}`];
  for (let i = 0; i < rest.length - 1; i++) {
    const bend = rest[i]!;
    const next = rest[i + 1]!;
    parts.push(
      `Q${f(bend)} ${f({ x: (bend.x + next.x) / 2, y: (bend.y + next.y) / 2 })}`,
    );
  }
  const last = rest.at(-1);
  if (last) parts.push(`L${f(last)}`);
  return parts.join(" ");
}

/** The line shortened by the arrowhead's length, and the arrowhead at its end. */
function withArrow(
  points: readonly DrawingPoint[],
): Pick<DrawnEdge, "path" | "arrow"> {
  const tip = points.at(-1)!;
  const before = points.at(-2) ?? { x: tip.x, y: tip.y - 1 };
  const dx = tip.x - before.x;
  const dy = tip.y - before.y;
  const length = Math.hypot(dx, dy) || 1;
  const ux = dx / length;
  const uy = dy / length;
  const base = { x: tip.x - ux * ARROW_LENGTH, y: tip.y - uy * ARROW_LENGTH };
  return {
    path: pathThrough([...points.slice(0, -1), base]),
    arrow: [
      tip,
      { x: base.x - uy * ARROW_HALF_WIDTH, y: base.y + ux * ARROW_HALF_WIDTH },
      { x: base.x + uy * ARROW_HALF_WIDTH, y: base.y - ux * ARROW_HALF_WIDTH },
    ],
  };
}

/**
 * Lays a graph's DAG out top to bottom with dagre: a box per node sized to its
 * (cut) label, edges as dagre's routed points with arrowheads, and a box per
 * invoke around its nodes, captioned by `caption(trace, invoke)`.
 *
 * Pure and deterministic, so the server renders the same SVG every time. Text is
 * not measured (there is no DOM on the server): widths assume a monospace font of
 * FONT_SIZE, and captions are cut to their group's width.
 *
 * @example
 * const layout = layoutGraphDrawing(graphToDag(graph));
 * // <svg viewBox={`0 0 ${layout.width} ${layout.height}`}>…
 */
export function layoutGraphDrawing(
  dag: GraphDag,
  caption: (trace: number, invoke: number) => string = (t, i) =>
    `trace ${t} · invoke ${i}`,
): GraphDrawingLayout {
  const g = new dagre.graphlib.Graph({ compound: true, multigraph: true });
  g.setGraph({
    rankdir: "TB",
    ranksep: RANK_SEP,
    nodesep: 24,
    edgesep: 12,
    marginx: MARGIN,
    marginy: MARGIN,
  });
  g.setDefaultEdgeLabel(() => ({}));

  const texts = new Map<string, string>();
  const groups = new Map<string, { trace: number; invoke: number }>();
  for (const node of dag.nodes) {
    const text = cut(node.label, MAX_LABEL_CHARS);
    texts.set(node.id, text);
    g.setNode(node.id, {
      width: Math.ceil(text.length * CHAR_WIDTH + 2 * NODE_PAD_X),
      height: NODE_HEIGHT,
    });
    const group = groupId(node.trace, node.invoke);
    if (!groups.has(group)) {
      groups.set(group, { trace: node.trace, invoke: node.invoke });
      g.setNode(group, {});
    }
    g.setParent(node.id, group);
  }
  dag.edges.forEach((edge, i) => g.setEdge(edge.from, edge.to, {}, `e${i}`));
  dagre.layout(g);

  const box = (id: string): DrawingBox => {
    const n = g.node(id) as {
      x: number;
      y: number;
      width: number;
      height: number;
    };
    return {
      x: n.x - n.width / 2,
      y: n.y - n.height / 2,
      width: n.width,
      height: n.height,
    };
  };

  const nodes = dag.nodes.map((node): DrawnNode => ({
    ...box(node.id),
    id: node.id,
    op: node.op,
    kind: node.kind,
    label: node.label,
    text: texts.get(node.id)!,
  }));

  const edges = dag.edges.map((edge, i): DrawnEdge => {
    const label = g.edge({ v: edge.from, w: edge.to, name: `e${i}` }) as {
      points?: DrawingPoint[];
    };
    const points = (label.points ?? []).map((p) => ({ x: p.x, y: p.y }));
    return { from: edge.from, to: edge.to, points, ...withArrow(points) };
  });

  // dagre puts a cluster's top border half a rank separation above its first
  // nodes; the caption band fits in that gap since CAPTION_HEIGHT < RANK_SEP / 2
  // (the tests check that no caption band covers a node).
  const drawnGroups = [...groups].map(([id, { trace, invoke }]): DrawnGroup => {
    const b = box(id);
    const label = caption(trace, invoke);
    return {
      ...b,
      trace,
      invoke,
      label,
      text: cut(label, Math.floor((b.width - 2 * CAPTION_PAD_X) / CHAR_WIDTH)),
    };
  });

  if (nodes.length === 0)
    return { ...EMPTY, nodes, edges, groups: drawnGroups };
  const all = [...nodes, ...drawnGroups];
  const graphLabel = g.graph() as { width?: number; height?: number };
  return {
    width: Math.ceil(
      Math.max(
        graphLabel.width ?? 0,
        ...all.map((b) => b.x + b.width + MARGIN),
      ),
    ),
    height: Math.ceil(
      Math.max(
        graphLabel.height ?? 0,
        ...all.map((b) => b.y + b.height + MARGIN),
      ),
    ),
    nodes,
    edges,
    groups: drawnGroups,
  };
}
