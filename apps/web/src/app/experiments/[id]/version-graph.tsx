import { renderGraphText, type Graph } from "@loupe/graph";
import { GraphDrawing } from "@/components/graph/graph-drawing";

/** Above this many nodes the drawing is offered, not shown: the text reads better. */
const LARGE_GRAPH_NODES = 80;

/**
 * A version's graph, drawn and as text: a small graph is drawn with its text
 * folded away; a large one has its text open and its drawing offered.
 */
export function VersionGraph({
  graph,
  title,
}: {
  graph: Graph;
  title: string;
}) {
  const large = graph.nodes.length > LARGE_GRAPH_NODES;
  return (
    <>
      {large ? (
        // A sweep's hundreds of nodes draw as a wall of boxes: opt in.
        <details>
          <summary>
            Draw the graph ({graph.nodes.length} nodes in{" "}
            {graph.traces.reduce((n, t) => n + t.invokes.length, 0)} invokes: a
            wide drawing)
          </summary>
          <GraphDrawing graph={graph} title={title} />
        </details>
      ) : (
        <GraphDrawing graph={graph} title={title} />
      )}
      <details open={large}>
        <summary>The graph as text</summary>
        {/* Focusable: a long line scrolls, and keyboard users must reach it (axe). */}
        <pre
          className="graph-text"
          data-testid="graph-text"
          tabIndex={0}
          role="region"
          aria-label="The graph as text"
        >
          {renderGraphText(graph)}
        </pre>
      </details>
    </>
  );
}
