import { describe, expect, it } from "vitest";
import { gpt2, gpt2Manifest } from "../testing/gpt2-fixture.ts";
import { TraceError } from "../trace/trace-error.ts";
import { validateGraph } from "./validate-graph.ts";
import type { Manifest } from "../manifest/manifest-schema.ts";

const messages = (g: Parameters<typeof validateGraph>[0]) => {
  const r = validateGraph(g, gpt2Manifest);
  return r.ok ? [] : r.issues.map((i) => i.message);
};

describe("gradients in the graph language", () => {
  it("traces .grad reads, a gradient assignment and a backward pass into nodes", () => {
    const lm = gpt2();
    const g = lm.trace("The Eiffel Tower is in", () => {
      const mlp = lm.transformer.h[5].mlp.output;
      mlp.grad.save("mlp5");
      const h = lm.transformer.h[8].output[0];
      h.grad = h.grad.mul(0.5);
      const logits = lm.lm_head.output;
      logits
        .get(0, -1, 7)
        .sub(logits.get(0, -1, 9))
        .backward();
    });
    const ops = g.nodes.map((n) => n.op);
    expect(ops).toContain("grad");
    expect(ops).toContain("write_grad");
    expect(ops.at(-1)).toBe("backward");
    const r = validateGraph(g, gpt2Manifest);
    expect(r.ok).toBe(true);
    const gradNode = g.nodes.find((n) => n.op === "grad")!;
    if (r.ok)
      expect(r.types.get(gradNode.id)).toEqual({
        dtype: "float32",
        shape: [1, "seq@t0.i0", 768],
      });
  });

  it("refuses .grad on a computed value, and .grad.grad", () => {
    const lm = gpt2();
    expect(() =>
      lm.trace("x", () => {
        void lm.transformer.h[0].mlp.output.mul(2).grad;
      }),
    ).toThrow(TraceError);
    expect(() =>
      lm.trace("x", () => {
        void lm.transformer.h[0].mlp.output.grad.grad;
      }),
    ).toThrow(/a gradient already/);
  });

  it("needs a backward pass in the gradient's trace", () => {
    const lm = gpt2();
    const g = lm.trace("x", () => {
      lm.transformer.h[0].mlp.output.grad.save("g");
    });
    expect(messages(g)).toEqual([
      expect.stringMatching(
        /trace 0 has no backward pass, so transformer\.h\.0\.mlp\.output has no gradient/,
      ),
    ]);
  });

  it("needs a float scalar to differentiate, and one backward pass per trace", () => {
    const lm = gpt2();
    const g = lm.trace("a b c", () => {
      const logits = lm.lm_head.output;
      logits.get(0, -1).backward();
      logits.get(0, -1, 3).backward();
    });
    expect(messages(g)).toEqual([
      expect.stringMatching(
        /needs a scalar; node n\d+ has shape \[50257\] \(reduce it first/,
      ),
      expect.stringMatching(
        /trace 0 already has a backward pass \(node n\d+\)/,
      ),
    ]);
  });

  it("refuses a gradient used in the forward pass of its own trace", () => {
    const lm = gpt2();
    const g = lm.trace("a b", () => {
      const g0 = lm.transformer.h[0].mlp.output.grad;
      lm.transformer.h[1].mlp.output.set(g0);
      lm.lm_head.output.get(0, -1, 3).backward();
    });
    expect(messages(g)).toEqual([
      expect.stringMatching(
        /computed from a gradient, in the forward pass; gradients exist only once the trace's backward pass runs/,
      ),
    ]);
  });

  it("lets a later trace of a session use an earlier trace's gradient", () => {
    const lm = gpt2();
    const g = lm.session(() => {
      let g0: ReturnType<typeof lm.lm_head.output.get> | undefined;
      lm.trace("a b", () => {
        g0 = lm.transformer.h[0].mlp.output.grad;
        lm.lm_head.output.get(0, -1, 3).backward();
      });
      lm.trace("a b", () => {
        lm.transformer.h[0].mlp.output.set(g0!);
        lm.lm_head.output.save("logits");
      });
    });
    expect(messages(g)).toEqual([]);
  });

  describe("on a float16 model", () => {
    /** gpt2Manifest with float16 in place of float32: weights only, or everything. */
    const halved = (what: "weights" | "all"): Manifest => ({
      ...gpt2Manifest,
      model: { ...gpt2Manifest.model, name: "gpt2-half" },
      modules: gpt2Manifest.modules.map((m) => ({
        ...m,
        params: m.params.map((p) => ({ ...p, dtype: "float16" as const })),
        calls:
          what === "weights"
            ? m.calls
            : m.calls.map((c) => ({
                ...c,
                inputs: c.inputs.map((t) =>
                  t.dtype === "float32"
                    ? { ...t, dtype: "float16" as const }
                    : t,
                ),
                outputs: c.outputs.map((t) =>
                  t.dtype === "float32"
                    ? { ...t, dtype: "float16" as const }
                    : t,
                ),
              })),
      })),
    });
    const graph = () => {
      const lm = gpt2();
      return lm.trace("a b", () => {
        lm.transformer.h[0].mlp.output.grad.save("g");
        lm.lm_head.output.get(0, -1, 3).backward();
      });
    };
    const issues = (manifest: Manifest) => {
      const r = validateGraph(graph(), manifest);
      return r.ok ? [] : r.issues.map((i) => `${i.op}: ${i.message}`);
    };

    it("refuses the backward pass, naming the model and a float16 weight", () => {
      expect(issues(halved("weights"))).toEqual([
        expect.stringMatching(
          /^backward: node n\d+ \(backward\): gradients on float16 model gpt2-half are not supported: the backward pass differentiates float32 models only \(weight "transformer\.wte\.weight" is float16\); take gradients on a float32 export of the model$/,
        ),
      ]);
    });

    it("names a float16 module tensor when no weight is float16", () => {
      const manifest = halved("all");
      const noHalfWeights: Manifest = {
        ...manifest,
        modules: manifest.modules.map((m) => ({ ...m, params: [] })),
      };
      expect(issues(noHalfWeights)).toEqual([
        expect.stringContaining(`(the model's output "logits" is float16)`),
      ]);
    });

    it("accepts the same graph on the float32 model", () => {
      expect(issues(gpt2Manifest)).toEqual([]);
    });
  });
});
