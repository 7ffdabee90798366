import { expect, it } from "vitest";
import { paperExamples } from "../examples/paper-examples.ts";
import { parseGraphOrThrow } from "../format/parse-graph.ts";
import { gpt2 } from "../testing/gpt2-fixture.ts";
import type { TensorValue } from "../trace/tensor-value.ts";
import { diffGraphs, formatGraphDiff } from "./diff-graphs.ts";

const patching = (layer: number, base: string) => {
  const lm = gpt2();
  return lm.trace((t) => {
    let h: TensorValue | undefined;
    t.invoke("The Colosseum is located in the city of", () => {
      h = lm.layers[layer]!.output[0].get(":", 6, ":");
    });
    t.invoke(base, () => {
      lm.layers[layer]!.output[0].set([":", 5, ":"], h!);
      lm.output.logits.save("logits");
    });
  });
};

it("finds no change between a graph and its renumbered, reordered copy", () => {
  const a = patching(5, "The Louvre is located in the city of");
  const renumbered = parseGraphOrThrow(
    JSON.parse(
      JSON.stringify(a).replace(
        /"n(\d+)"/g,
        (_, d: string) => `"n${Number(d) + 100}"`,
      ),
    ),
  );
  expect(diffGraphs(a, renumbered)).toEqual({
    same: true,
    invokes: [],
    removed: [],
    added: [],
  });
  expect(formatGraphDiff(diffGraphs(a, a))).toBe("no changes");
});

it("shows a changed layer and prompt as removed and added lines", () => {
  const diff = diffGraphs(
    patching(5, "The Louvre is located in the city of"),
    patching(6, "The Louvre is in"),
  );
  expect(formatGraphDiff(diff)).toBe(
    [
      '- trace 0 invoke 1: {"input":{"kind":"text","prompts":["The Louvre is located in the city of"]}}',
      '+ trace 0 invoke 1: {"input":{"kind":"text","prompts":["The Louvre is in"]}}',
      "- [t0 i0] n0 = layers.5.output[0]",
      "- [t0 i0] n1 = n0[:, 6, :]",
      "- [t0 i1] n2 = layers.5.output[0]",
      "- [t0 i1] layers.5.output[0][:, 5, :] = n1",
      "+ [t0 i0] n0 = layers.6.output[0]",
      "+ [t0 i0] n1 = n0[:, 6, :]",
      "+ [t0 i1] n2 = layers.6.output[0]",
      "+ [t0 i1] layers.6.output[0][:, 5, :] = n1",
    ].join("\n"),
  );
  expect(diff.same).toBe(false);
});

it("counts repeated equal nodes one for one", () => {
  const lm = gpt2();
  const once = lm.trace("x", () => void lm.output.logits.save("a"));
  const twice = paperExamples["example-3-trace"]!(lm);
  const diff = diffGraphs(once, twice);
  expect(diff.added.map((n) => n.op)).toEqual(["save"]);
  expect(diff.removed.map((n) => n.op)).toEqual(["save"]);
});
