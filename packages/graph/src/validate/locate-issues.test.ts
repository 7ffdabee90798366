import { describe, expect, it } from "vitest";
import { constant } from "../trace/tensor-value.ts";
import { traceSources } from "../trace/source-frames.ts";
import { gpt2, gpt2Manifest } from "../testing/gpt2-fixture.ts";
import type { Graph } from "../format/graph-schema.ts";
import { locateIssues } from "./locate-issues.ts";
import { promptLengths } from "./prompt-lengths.ts";
import { validateGraph, type ValidationInputs } from "./validate-graph.ts";

/** The sources as the SDK makes them, here with the file's name only. */
const sourcesOf = (graph: Graph) =>
  Object.fromEntries(
    [...traceSources(graph)].map(([id, f]) => [
      id,
      `${f.file.replace(/^.*[\\/]/, "")}:${f.line}`,
    ]),
  );
const located = (graph: Graph, inputs?: ValidationInputs) => {
  const r = validateGraph(graph, gpt2Manifest, undefined, inputs);
  return r.ok ? [] : locateIssues(r.issues, sourcesOf(graph));
};
const lineOf = (graph: Graph, id: string) => traceSources(graph).get(id)!.line;
/** A tokenizer of one token per word. */
const words = { encode: (text: string) => text.split(" ").map((_, i) => i) };

describe("validation issues located in the script", () => {
  it("names the file and line that made the node, the module path, and keeps the node id", () => {
    const lm = gpt2();
    const graph = lm.trace("The Eiffel Tower", () => {
      lm.layers[0].output[0]
        .matmul(
          constant([
            [1, 2],
            [3, 4],
          ]),
        )
        .save("x");
    });
    const [issue] = located(graph);
    const line = lineOf(graph, issue!.nodeId);
    expect(issue).toMatchObject({
      op: "matmul",
      source: `locate-issues.test.ts:${line}`,
    });
    expect(issue!.message).toBe(
      `locate-issues.test.ts:${line}: ${issue!.module}: input 1 has shape [2,2], expected [768,*] (node ${issue!.nodeId}, matmul)`,
    );
  });

  it("shows a text invoke's sequence length by its size in tokens once known, and as seq before", () => {
    const lm = gpt2();
    const graph = lm.trace("The Eiffel Tower", () => {
      lm.layers[0].output[0].add(constant([1, 2, 3])).save("x");
    });
    const plain = validateGraph(graph, gpt2Manifest);
    const known = validateGraph(graph, gpt2Manifest, undefined, {
      promptLengths: promptLengths(graph, words),
    });
    expect(!plain.ok && plain.issues.map((i) => i.message)).toEqual([
      expect.stringContaining("[1,seq,768]"),
    ]);
    expect(!known.ok && known.issues.map((i) => i.message)).toEqual([
      expect.stringContaining("[1,3,768]"),
    ]);
  });

  it("refuses an index past a text prompt's tokens once they are known, naming the index, the axis and its size", () => {
    const lm = gpt2();
    const graph = lm.trace("The Eiffel Tower", () => {
      lm.layers[0].output[0].get(":", 7, ":").save("x");
    });
    expect(validateGraph(graph, gpt2Manifest).ok).toBe(true);
    const issues = located(graph, {
      promptLengths: promptLengths(graph, words),
    });
    const line = lineOf(graph, "n1");
    expect(issues.map((i) => i.message)).toEqual([
      `locate-issues.test.ts:${line}: ${issues[0]!.module}: index 7 is out of range for axis 1 of size 3: the sequence axis is as long as this invoke's longest prompt, in tokens (node n1, getitem)`,
    ]);
    expect(
      validateGraph(graph, gpt2Manifest, undefined, {
        promptLengths: new Map([["t0.i0", 8]]),
      }).ok,
    ).toBe(true);
  });

  it("leaves an issue without a source as it is", () => {
    const issue = { nodeId: "n3", op: "add", message: "node n3 (add): x" };
    expect(locateIssues([issue], { n1: "a.ts:1" })).toEqual([issue]);
    expect(locateIssues([issue], undefined)).toEqual([issue]);
  });
});
