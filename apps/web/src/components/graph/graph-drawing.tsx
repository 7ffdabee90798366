import { graphToDag, type DagNodeKind, type Graph } from "@loupe/graph";
import { describeInvoke } from "./describe-invoke";
import styles from "./graph-drawing.module.css";
import {
  CAPTION_HEIGHT,
  CAPTION_PAD_X,
  FONT_SIZE,
  layoutGraphDrawing,
} from "./layout-graph-drawing";
import { summarizeDag } from "./summarize-dag";

/** The smallest the drawing shrinks to fit (text at 9 px); below it, it scrolls. */
const MIN_SCALE = 0.75;

const KIND_CLASS: Record<DagNodeKind, string | undefined> = {
  model: styles.model,
  value: styles.value,
  effect: styles.effect,
};

const KIND_LEGEND: Record<DagNodeKind, string> = {
  model: "model: reads, parameters, module calls",
  value: "values computed from them",
  effect: "effects: writes, saves, skips, stops",
};

/**
 * A short, stable id prefix for the <title>/<desc> the SVG points at. Derived
 * from the content (no hooks in a server component), so two drawings on one page
 * get different ids unless they show the same graph under the same title.
 */
function idPrefix(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++)
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return `graph-${(h >>> 0).toString(36)}`;
}

/**
 * A static drawing of an intervention graph: nodes as boxes colored by kind
 * (model hooks, values, effects), args as arrows, each invoke boxed and captioned
 * with its input. Laid out on the server with dagre (layoutGraphDrawing); the SVG
 * scales down to its container and is one image to assistive technology, named
 * by `title` and described by a count of its nodes.
 *
 * @example
 * <GraphDrawing graph={version.graph} title={`Graph of version ${version.number}`} />
 */
export function GraphDrawing({
  graph,
  title,
}: {
  graph: Graph;
  title: string;
}) {
  const dag = graphToDag(graph);
  const layout = layoutGraphDrawing(
    dag,
    (t, i) =>
      `trace ${t} · invoke ${i}: ${describeInvoke(graph.traces[t]?.invokes[i])}`,
  );
  const summary = summarizeDag(dag);
  const id = idPrefix(`${title}\n${dag.nodes.map((n) => n.label).join("\n")}`);
  const kinds = (["model", "value", "effect"] as const).filter((k) =>
    dag.nodes.some((n) => n.kind === k),
  );

  return (
    <figure className={styles.figure}>
      {/* Scrolls sideways once the drawing would shrink below MIN_SCALE; focusable
          so keyboards can scroll it (axe: scrollable-region-focusable). */}
      <div
        className={styles.scroll}
        tabIndex={0}
        role="group"
        aria-label={`${title} (scrolls sideways when wider than the page)`}
      >
        <svg
          className={styles.svg}
          role="img"
          aria-labelledby={`${id}-title ${id}-desc`}
          viewBox={`0 0 ${layout.width} ${layout.height}`}
          width={layout.width}
          height={layout.height}
          fontSize={FONT_SIZE}
          style={{ minWidth: Math.round(layout.width * MIN_SCALE) }}
        >
          <title id={`${id}-title`}>{title}</title>
          <desc id={`${id}-desc`}>{summary}</desc>
          {layout.groups.map((g) => (
            <g key={`${g.trace}:${g.invoke}`}>
              <title>{g.label}</title>
              <rect
                className={styles.group}
                x={g.x}
                y={g.y}
                width={g.width}
                height={g.height}
                rx={8}
              />
              <text
                className={styles.caption}
                x={g.x + CAPTION_PAD_X}
                y={g.y + CAPTION_HEIGHT / 2}
                dominantBaseline="central"
              >
                {g.text}
              </text>
            </g>
          ))}
          {layout.edges.map((e, i) => (
            <g key={i} className={styles.edge}>
              <path d={e.path} />
              <polygon
                points={e.arrow
                  .map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`)
                  .join(" ")}
              />
            </g>
          ))}
          {layout.nodes.map((n) => (
            <g
              key={n.id}
              className={`${styles.node} ${KIND_CLASS[n.kind] ?? ""}`}
            >
              <title>{n.label}</title>
              <rect x={n.x} y={n.y} width={n.width} height={n.height} rx={6} />
              <text
                x={n.x + n.width / 2}
                y={n.y + n.height / 2}
                textAnchor="middle"
                dominantBaseline="central"
              >
                {n.text}
              </text>
            </g>
          ))}
          {dag.nodes.length === 0 && (
            <text
              className={styles.caption}
              x={layout.width / 2}
              y={layout.height / 2}
              textAnchor="middle"
              dominantBaseline="central"
            >
              no nodes
            </text>
          )}
        </svg>
      </div>
      {kinds.length > 0 && (
        <figcaption className={styles.legend}>
          {kinds.map((k) => (
            <span key={k}>
              <span
                aria-hidden="true"
                className={`${styles.swatch} ${KIND_CLASS[k] ?? ""}`}
              />
              {KIND_LEGEND[k]}
            </span>
          ))}
        </figcaption>
      )}
    </figure>
  );
}
