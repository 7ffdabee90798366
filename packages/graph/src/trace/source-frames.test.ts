import { describe, expect, it } from "vitest";
import { hashGraph } from "../format/hash-graph.ts";
import { parseGraph } from "../format/parse-graph.ts";
import { serializeGraph } from "../format/serialize-graph.ts";
import { gpt2 } from "../testing/gpt2-fixture.ts";
import { traceSources } from "./source-frames.ts";

/** The line of the statement that calls it. */
function lineHere(): number {
  const frame = new Error().stack!.split("\n")[2]!;
  return Number(/:(\d+):\d+\)?$/.exec(frame)![1]);
}
const thisFile = import.meta.filename;

describe("traceSources", () => {
  it("names the script's file and line for each node the trace made", () => {
    const lm = gpt2();
    const lines: number[] = [];
    const graph = lm.trace("The Eiffel Tower", () => {
      lines.push(lineHere() + 1);
      lm.layers[5].output[0].mul(2).save("h");
      lines.push(lineHere() + 1);
      lm.layers[6].output[0].save("g");
    });
    const sources = traceSources(graph);
    expect(
      graph.nodes.map((n) => {
        const s = sources.get(n.id);
        return s && [s.file.replace(/^file:\/\//, ""), s.line];
      }),
    ).toEqual(
      // The last two nodes (layer 6's read and save) are the second line's.
      graph.nodes.map((_, i) => [
        thisFile,
        i < graph.nodes.length - 2 ? lines[0] : lines[1],
      ]),
    );
  });

  it("keeps the sources out of the graph: its JSON and hash are those of the same graph parsed back", () => {
    const lm = gpt2();
    const graph = lm.trace("Hi", () => {
      lm.layers[0].output[0].save("h");
    });
    const parsed = parseGraph(serializeGraph(graph));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(Object.keys(graph).sort()).toEqual(
      ["format", "model", "nodes", "traces", "version"].sort(),
    );
    expect(hashGraph(parsed.value)).toBe(hashGraph(graph));
    expect(traceSources(parsed.value).size).toBe(0);
    expect(traceSources(graph).size).toBe(graph.nodes.length);
  });

  it("gives an edit's nodes the line of the edit, in every trace the edit starts", () => {
    const lm = gpt2();
    const editLine = lineHere() + 2;
    const edited = lm.edit(() => {
      lm.layers[0].mlp.output.set(lm.layers[0].mlp.output.mul(0));
    });
    const graph = edited.trace("Hi", () => {
      lm.layers[1].output[0].save("h");
    });
    const first = traceSources(graph).get(graph.nodes[0]!.id);
    expect(first?.line).toBe(editLine);
  });
});
