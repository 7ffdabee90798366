import { describe, expect, it } from "vitest";
import { hashGraph } from "../format/hash-graph.ts";
import { gpt2 } from "../testing/gpt2-fixture.ts";
import type { Graph } from "../format/graph-schema.ts";
import type { TensorValue } from "./tensor-value.ts";

type Lm = ReturnType<typeof gpt2>;

/** Two spellings of an intervention build the same graph, node for node. */
function expectSameGraph(a: (lm: Lm) => void, b: (lm: Lm) => void): Graph {
  const lm = gpt2();
  const [one, two] = [a, b].map((write) => lm.trace("Hello", () => write(lm)));
  expect(two).toEqual(one);
  expect(hashGraph(two!)).toBe(hashGraph(one!));
  return one!;
}

describe("Loupe's idiom builds the nodes of the older forms", () => {
  it.each<[string, (lm: Lm) => void, (lm: Lm) => void]>([
    [
      "at(one string) is get(items)",
      (lm) => lm.layers[5].output[0].at(":, -1, [1, 2]").save("h"),
      (lm) => lm.layers[5].output[0].get(":", -1, [1, 2]).save("h"),
    ],
    [
      "at(numbers) is get(numbers)",
      (lm) => lm.layers[5].output[0].at(0, -1).save("h"),
      (lm) => lm.layers[5].output[0].get(0, -1).save("h"),
    ],
    [
      "set(one string, v) is set(items, v)",
      (lm) => lm.layers[1].mlp.down_proj.input.set(":, :, [3, 4]", 5),
      (lm) => lm.layers[1].mlp.down_proj.input.set([":", ":", [3, 4]], 5),
    ],
    [
      "add_(index, v) is set(index, get(index).add(v))",
      (lm) => lm.layers[3].output[0].add_(":, :, 3", 2),
      (lm) => {
        const h = lm.layers[3].output[0];
        h.set([":", ":", 3], h.get(":", ":", 3).add(2));
      },
    ],
    [
      "mul_(v) is set(mul(v))",
      (lm) => lm.layers[3].output[0].mul_(0.5),
      (lm) => {
        const h = lm.layers[3].output[0];
        h.set(h.mul(0.5));
      },
    ],
  ])("%s", (_, idiom, older) => {
    expectSameGraph(idiom, older);
  });

  it("sub_ and div_ write the difference and the quotient", () => {
    const lm = gpt2();
    const graph = lm.trace("Hello", () => {
      lm.layers[3].output[0].sub_(":, -1", 1);
      lm.layers[4].output[0].div_(2);
    });
    const ops = graph.nodes.map((n) => n.op);
    expect(ops.filter((op) => op === "sub" || op === "div")).toEqual([
      "sub",
      "div",
    ]);
    expect(ops.filter((op) => op === "write")).toHaveLength(2);
  });
});

describe("tracer.invoke", () => {
  it("returns what its callback returns, for the next invoke to use", () => {
    const lm = gpt2();
    let returned: TensorValue | undefined;
    const graph = lm.trace((tracer) => {
      const hidden = tracer.invoke("The Colosseum", () =>
        lm.layers[2].output[0].at(":, 1, :"),
      );
      returned = hidden;
      tracer.invoke("The Louvre", () => {
        lm.layers[2].output[0].set(":, 1, :", hidden);
      });
    });
    const write = graph.nodes.find((n) => n.op === "write")!;
    expect(write.args).toEqual([returned!.id]);
  });
});

describe("assigning to a module's hooks, NNsight's way to write", () => {
  it.each<[string, (lm: Lm) => void, string]>([
    [
      "module.output = value",
      (lm) => {
        (lm.layers[2] as unknown as { output: number }).output = 1;
      },
      'lm.layers[2].output cannot be assigned: Loupe writes with .set, so NNsight\'s `output = value` is lm.layers[2].output[0].set(value), and `output[:, -1] = value` is lm.layers[2].output[0].set(":, -1", value)',
    ],
    [
      "module.input = value",
      (lm) => {
        (lm.layers[1].mlp.down_proj as unknown as { input: number }).input = 1;
      },
      'lm.layers[1].mlp.down_proj.input cannot be assigned: Loupe writes with .set, so NNsight\'s `input = value` is lm.layers[1].mlp.down_proj.input.set(value), and `input[:, -1] = value` is lm.layers[1].mlp.down_proj.input.set(":, -1", value)',
    ],
    [
      "a tuple element",
      (lm) => {
        (lm.layers[2].output as unknown as number[])[0] = 1;
      },
      "lm.layers[2].output[0] cannot be assigned: Loupe writes with .set, so NNsight's `lm.layers[2].output[0] = value` is lm.layers[2].output[0].set(value)",
    ],
    [
      "a region of a tensor",
      (lm) => {
        (lm.layers[1].mlp.down_proj.input as unknown as Record<string, number>)[
          ":, -1"
        ] = 1;
      },
      'lm.layers[1].mlp.down_proj.input[":, -1"] cannot be assigned: Loupe writes with .set, so NNsight\'s `lm.layers[1].mlp.down_proj.input[:, -1] = value` is lm.layers[1].mlp.down_proj.input.set(":, -1", value)',
    ],
  ])("%s says what to write instead", (_, assign, message) => {
    const lm = gpt2();
    expect(() => lm.trace("Hello", () => assign(lm))).toThrow(message);
  });

  it("leaves .grad = g working", () => {
    const lm = gpt2();
    const graph = lm.trace("Hello", () => {
      const out = lm.layers[1].mlp.output;
      out.grad = out.grad.mul(0);
      lm.output.item("logits").sum().backward();
    });
    expect(graph.nodes.some((n) => n.op === "write_grad")).toBe(true);
  });
});
