import fs from "node:fs";
import path from "node:path";
import {
  createModel,
  manifestSchema,
  parseGraph,
  serializeGraph,
  validateGraph,
  type Model,
  type TensorValue,
} from "@loupe/graph";
import type { Suite } from "../suite.ts";

const manifest = manifestSchema.parse(
  JSON.parse(
    fs.readFileSync(
      path.resolve(
        import.meta.dirname,
        "..",
        "..",
        "packages",
        "graph",
        "fixtures",
        "gpt2-small.manifest.json",
      ),
      "utf8",
    ),
  ),
);

/** A 100-operation graph: one read, 98 tensor operations over it, one save. */
function build100(lm: Model) {
  return lm.trace("The Eiffel Tower is located in the city of", () => {
    let x: TensorValue = lm.transformer!.h![5]!.output.item(0);
    for (let i = 0; i < 49; i++) x = i % 2 === 0 ? x.relu() : x.tanh();
    for (let i = 0; i < 49; i++) x = x.softmax(-1);
    x.save("x");
  });
}

/** Graph construction and (de)serialization: the client-side cost of every request. */
export const graphSuite: Suite = {
  name: "Intervention graph (packages/graph), in process",
  note: "A graph of 100 operations (1 read, 98 tensor operations, 1 save) on the GPT-2 small manifest. Target: build + serialize under 1 ms.",
  setup: () => {
    const lm = createModel(manifest);
    const graph = build100(lm);
    const text = serializeGraph(graph);
    const tasks = {
      "build (trace) a 100-op graph": () => void build100(lm),
      "serialize (canonical JSON)": () => void serializeGraph(graph),
      "build + serialize": () => void serializeGraph(build100(lm)),
      "parse (with precise errors)": () => void parseGraph(text),
      "validate (shape inference) against the manifest": () =>
        void validateGraph(graph, manifest),
    };
    return { tasks };
  },
};
