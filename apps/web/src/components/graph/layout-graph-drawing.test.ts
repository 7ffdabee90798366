import { graphToDag, type GraphDag } from "@loupe/graph";
import { describe, expect, it } from "vitest";
import { factsModel, patchingSession } from "./facts-model.fixture";
import {
  CAPTION_HEIGHT,
  MAX_LABEL_CHARS,
  layoutGraphDrawing,
  type DrawingBox,
  type DrawingPoint,
} from "./layout-graph-drawing";

/** Tolerance for points that should lie on a box's border (dagre works in floats). */
const EPS = 0.5;

const overlaps = (a: DrawingBox, b: DrawingBox) =>
  a.x < b.x + b.width &&
  b.x < a.x + a.width &&
  a.y < b.y + b.height &&
  b.y < a.y + a.height;

const contains = (outer: DrawingBox, inner: DrawingBox) =>
  inner.x >= outer.x - EPS &&
  inner.y >= outer.y - EPS &&
  inner.x + inner.width <= outer.x + outer.width + EPS &&
  inner.y + inner.height <= outer.y + outer.height + EPS;

/** On the border: inside the box grown by EPS, outside the box shrunk by EPS. */
const onBorder = (p: DrawingPoint, b: DrawingBox) => {
  const inGrown =
    p.x >= b.x - EPS &&
    p.x <= b.x + b.width + EPS &&
    p.y >= b.y - EPS &&
    p.y <= b.y + b.height + EPS;
  const inShrunk =
    p.x > b.x + EPS &&
    p.x < b.x + b.width - EPS &&
    p.y > b.y + EPS &&
    p.y < b.y + b.height - EPS;
  return inGrown && !inShrunk;
};

describe("layoutGraphDrawing on a traced session of the bundled model", () => {
  const dag = graphToDag(patchingSession(factsModel()));
  const layout = layoutGraphDrawing(dag);
  const boxOf = new Map(layout.nodes.map((n) => [n.id, n]));

  it("gives every node one box of positive size inside the drawing", () => {
    expect(dag.nodes.length).toBeGreaterThan(10);
    expect(layout.nodes.map((n) => n.id)).toEqual(dag.nodes.map((n) => n.id));
    for (const n of layout.nodes) {
      expect(n.width).toBeGreaterThan(0);
      expect(n.height).toBeGreaterThan(0);
      expect(
        contains({ x: 0, y: 0, width: layout.width, height: layout.height }, n),
      ).toBe(true);
    }
  });

  it("places no box over another", () => {
    const pairs = layout.nodes.flatMap((a, i) =>
      layout.nodes.slice(i + 1).map((b) => [a, b] as const),
    );
    const hits = pairs.filter(([a, b]) => overlaps(a, b));
    expect(hits.map(([a, b]) => `${a.id} over ${b.id}`)).toEqual([]);
  });

  it("routes every edge from its source's box to its target's box", () => {
    expect(layout.edges.map((e) => [e.from, e.to])).toEqual(
      dag.edges.map((e) => [e.from, e.to]),
    );
    for (const e of layout.edges) {
      const first = e.points[0]!;
      const last = e.points.at(-1)!;
      expect(
        onBorder(first, boxOf.get(e.from)!),
        `${e.from} -> ${e.to} start`,
      ).toBe(true);
      expect(onBorder(last, boxOf.get(e.to)!), `${e.from} -> ${e.to} end`).toBe(
        true,
      );
      expect(e.arrow[0]).toEqual(last);
      expect(e.path).toMatch(/^M[\d.-]+,[\d.-]+( [QL][\d., -]+)+$/);
    }
  });

  it("boxes each invoke around its own nodes, captions clear of them", () => {
    expect(layout.groups.map((g) => [g.trace, g.invoke])).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
    ]);
    for (const g of layout.groups) {
      const band = { x: g.x, y: g.y, width: g.width, height: CAPTION_HEIGHT };
      for (const n of dag.nodes) {
        const box = boxOf.get(n.id)!;
        if (n.trace === g.trace && n.invoke === g.invoke)
          expect(contains(g, box), `${n.id} in its group`).toBe(true);
        else
          expect(overlaps(g, box), `${n.id} outside other groups`).toBe(false);
        expect(overlaps(band, box), `caption over ${n.id}`).toBe(false);
      }
      expect(g.label).toMatch(/^trace \d · invoke \d$/);
    }
    const [a, b, c] = layout.groups;
    expect([overlaps(a!, b!), overlaps(a!, c!), overlaps(b!, c!)]).toEqual([
      false,
      false,
      false,
    ]);
  });
});

describe("layoutGraphDrawing's text", () => {
  it("cuts long labels and captions with an ellipsis, keeping the whole text", () => {
    const long = "x".repeat(MAX_LABEL_CHARS + 10);
    const dag: GraphDag = {
      nodes: [
        {
          id: "n0",
          op: "read",
          label: long,
          kind: "model",
          trace: 0,
          invoke: 0,
        },
      ],
      edges: [],
    };
    const layout = layoutGraphDrawing(dag, () => `caption ${long}`);
    const node = layout.nodes[0]!;
    expect(node.label).toBe(long);
    expect(node.text).toBe(`${"x".repeat(MAX_LABEL_CHARS - 1)}…`);
    const group = layout.groups[0]!;
    expect(group.label).toBe(`caption ${long}`);
    expect(group.text.endsWith("…")).toBe(true);
    expect(group.text.length).toBeLessThan(group.label.length);
  });

  it("lays out an empty graph as a small empty drawing", () => {
    const layout = layoutGraphDrawing({ nodes: [], edges: [] });
    expect(layout).toMatchObject({ nodes: [], edges: [], groups: [] });
    expect(layout.width).toBeGreaterThan(0);
    expect(layout.height).toBeGreaterThan(0);
  });
});
