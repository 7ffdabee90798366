import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { paperExamples } from "../examples/paper-examples.ts";
import { canonicalJson } from "../format/canonical-json.ts";
import { hashGraph } from "../format/hash-graph.ts";
import { parseGraph } from "../format/parse-graph.ts";
import { serializeGraph } from "../format/serialize-graph.ts";
import { gpt2, gpt2Manifest } from "../testing/gpt2-fixture.ts";
import { validateGraph } from "../validate/validate-graph.ts";
import { type TensorValue } from "./tensor-value.ts";

const goldenDir = path.resolve(import.meta.dirname, "..", "..", "golden");

describe("paper examples", () => {
  it.each(Object.keys(paperExamples))(
    "%s builds the committed golden graph, which validates",
    (name) => {
      const built = paperExamples[name]!(gpt2());
      const golden = fs.readFileSync(
        path.join(goldenDir, "v1", `${name}.json`),
        "utf8",
      );
      expect(serializeGraph(built)).toBe(canonicalJson(JSON.parse(golden)));
      expect(validateGraph(built, gpt2Manifest).ok).toBe(true);
    },
  );
});

describe("golden files", () => {
  const files = fs
    .readdirSync(goldenDir)
    .flatMap((v) =>
      fs.readdirSync(path.join(goldenDir, v)).map((f) => path.join(v, f)),
    );
  it.each(files)("%s parses and round-trips unchanged", (file) => {
    const text = fs.readFileSync(path.join(goldenDir, file), "utf8");
    const parsed = parseGraph(text);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(serializeGraph(parsed.value)).toBe(canonicalJson(JSON.parse(text)));
    expect(hashGraph(parsed.value)).toBe(
      hashGraph(JSON.parse(text) as typeof parsed.value),
    );
  });
});

describe("tracing", () => {
  it.each<[string, (lm: ReturnType<typeof gpt2>) => void, string]>([
    [
      "out-of-order access",
      (lm) =>
        lm.trace("x", () => {
          void lm.layers[5].output[0];
          void lm.layers[3].output[0];
        }),
      "layers.3.output is accessed after layers.5.output, but the model computes it earlier: within an invoke, access modules in forward order (use another invoke, or a session, to go back)",
    ],
    [
      "an output before its own input",
      (lm) =>
        lm.trace("x", () => {
          void lm.transformer.h[2].mlp.output;
          void lm.transformer.h[2].mlp.input;
        }),
      "transformer.h.2.mlp.input is accessed after transformer.h.2.mlp.output, but the model computes it earlier",
    ],
    [
      "access inside a skipped module",
      (lm) =>
        lm.trace("x", () => {
          lm.transformer.h[2].skip(lm.transformer.h[2].input);
          void lm.transformer.h[2].mlp.output;
        }),
      'transformer.h.2.mlp.output is never computed: its ancestor "transformer.h.2" is skipped by node n1',
    ],
    [
      // NNsight's test_out_of_order_skip: the write would be silently dropped.
      "a write to a skipped module's input",
      (lm) =>
        lm.trace("x", () => {
          lm.transformer.h[1].skip(lm.transformer.h[0].output[0]);
          lm.transformer.h[1].input.set(0);
        }),
      'transformer.h.1.input is accessed after node n1 skipped "transformer.h.1": a skipped module never reads its input, so a write to it would do nothing (access the input before the skip)',
    ],
    [
      "an unknown module",
      (lm) =>
        lm.trace(
          "x",
          () => void (lm as unknown as Record<string, unknown>).transfromer,
        ),
      'unknown module "transfromer": did you mean "transformer"?',
    ],
    [
      "an unknown parameter",
      (lm) => lm.trace("x", () => void lm.lm_head.param("bias")),
      'module "lm_head" has no parameter "bias"; it has: weight',
    ],
    [
      "indexing a single tensor like a tuple",
      (lm) =>
        lm.trace(
          "x",
          () =>
            void (
              lm.transformer.h[0].mlp.output as unknown as TensorValue[]
            )[0],
        ),
      "transformer.h.0.mlp.output is a single tensor, not a tuple: index it with .get(0, …)",
    ],
    [
      "tensor methods on a tuple",
      (lm) =>
        lm.trace(
          "x",
          () =>
            void (lm.transformer.h[0].output as unknown as TensorValue).relu(),
        ),
      "transformer.h.0.output is a tuple: pick an element first, e.g. .output[0].relu(…)",
    ],
    [
      "a tuple element that does not exist",
      (lm) => lm.trace("x", () => void lm.output.item("hidden")),
      'model.output has no element "hidden"; it has: logits',
    ],
    [
      "a bad index",
      (lm) => lm.trace("x", () => void lm.layers[0].output[0].get("1:2:0")),
      'index item 0: slice step cannot be zero ("1:2:0")',
    ],
    [
      "a trace without invokes",
      (lm) => lm.trace(() => undefined),
      "a trace without input needs at least one tracer.invoke(input, fn)",
    ],
    [
      "invokes on a trace with input",
      (lm) => lm.trace("x", (t) => t.invoke("y", () => undefined)),
      "this trace has an input already: call lm.trace(fn) without input to use invokes",
    ],
    [
      "nested traces",
      (lm) => lm.trace("x", () => lm.trace("y", () => undefined)),
      "traces cannot nest: use lm.session(…) for several traces",
    ],
  ])("rejects %s, naming it", (_, build, message) => {
    expect(() => build(gpt2())).toThrow(message);
  });

  it("a module list is an array of its layers' envoys, as its generated tuple type says", () => {
    const lm = gpt2();
    const h = lm.transformer.h;
    expect(h.length).toBe(12);
    expect(h.map((layer) => layer.path)).toEqual(
      Array.from({ length: 12 }, (_, i) => `transformer.h.${i}`),
    );
    expect([...lm.layers].map((l) => l.path).at(-1)).toBe("layers.11");
    const graph = lm.trace("x", () => {
      h.forEach((layer, i) => layer.output[0].save(`h${i}`));
    });
    expect(graph.nodes.filter((n) => n.op === "save")).toHaveLength(12);
    // A module that is not a list stays strict.
    expect(
      () => (lm.transformer as unknown as { length: number }).length,
    ).toThrow(/transformer\.length/);
  });

  it("refuses values used outside their trace", () => {
    const lm = gpt2();
    let leaked: TensorValue | undefined;
    lm.trace("a", () => {
      leaked = lm.layers[0].output[0];
    });
    expect(() =>
      lm.trace("b", () => lm.layers[1].output[0].set(leaked!)),
    ).toThrow(
      "belongs to another trace: to pass values between traces, build them in one lm.session(...)",
    );
    expect(() => leaked!.relu()).toThrow(
      "module values exist only while a trace is being built",
    );
  });

  it("passes values between the traces of a session", () => {
    const lm = gpt2();
    const graph = lm.session(() => {
      let mean: TensorValue | undefined;
      lm.trace("The Eiffel Tower", () => {
        mean = lm.layers[3].output[0].mean(1);
      });
      lm.trace("The Colosseum", () => {
        lm.layers[3].output[0].set(["...", ":"], mean!);
        lm.output.logits.save("steered");
      });
    });
    expect(graph.traces).toHaveLength(2);
    expect(graph.nodes.map((n) => `${n.trace}:${n.op}`)).toEqual([
      "0:read",
      "0:mean",
      "1:read",
      "1:write",
      "1:read",
      "1:save",
    ]);
    expect(validateGraph(graph, gpt2Manifest).ok).toBe(true);
  });

  it("applies edits to every trace, in an invoke of their own that sees the whole batch", () => {
    const lm = gpt2();
    const edited = lm.edit(() => {
      lm.layers[0].mlp.output.set(lm.layers[0].mlp.output.mul(0));
    });
    const graph = edited.trace("x", () => void lm.output.logits.save("logits"));
    expect(graph.traces[0]!.invokes).toEqual([
      { input: null, edit: true },
      { input: { kind: "text", prompts: ["x"] } },
    ]);
    expect(graph.nodes.filter((n) => n.invoke === 0).map((n) => n.op)).toEqual([
      "read",
      "read",
      "constant",
      "mul",
      "write",
    ]);
    expect(
      edited.clearEdits().trace("x", () => void lm.output.logits.save("l"))
        .traces[0]!.invokes,
    ).toHaveLength(1);
    expect(validateGraph(graph, gpt2Manifest).ok).toBe(true);
  });

  it("writes into the model with .set on module tensors, and computes locally elsewhere", () => {
    const lm = gpt2();
    const graph = lm.trace("x", () => {
      const h = lm.layers[2].mlp.output;
      const local = h.set([":", 0], 1);
      h.set(local.relu());
    });
    expect(graph.nodes.map((n) => n.op)).toEqual([
      "read",
      "constant",
      "write",
      "relu",
      "write",
    ]);
  });

  it("saves many modules with cache and stops early with stop", () => {
    const lm = gpt2();
    const graph = lm.trace("x", (tracer) => {
      tracer.cache([lm.layers[0], lm.layers[1], "lm_head"]);
      void lm.layers[1].output[0].save("h1");
      tracer.stop();
    });
    expect(graph.nodes.map((n) => n.op)).toEqual([
      "cache",
      "read",
      "save",
      "stop",
    ]);
    expect(graph.nodes[0]).toMatchObject({
      modules: ["layers.0", "layers.1", "lm_head"],
    });
  });
});
