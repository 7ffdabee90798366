import { describe, expect, it } from "vitest";
import { hashGraph } from "../format/hash-graph.ts";
import { parseGraph } from "../format/parse-graph.ts";
import { renderGraphText } from "../render/render-graph-text.ts";
import { gpt2, gpt2Manifest } from "../testing/gpt2-fixture.ts";
import { validateGraph } from "./validate-graph.ts";

const messages = (g: Parameters<typeof validateGraph>[0]) => {
  const r = validateGraph(g, gpt2Manifest);
  return r.ok ? [] : r.issues.map((i) => i.message);
};

describe("generation in the graph language", () => {
  it("traces a generation: options on the trace, step scopes on the nodes, forward order per scope", () => {
    const lm = gpt2();
    const g = lm.generate(
      "The Eiffel Tower is in",
      { maxNewTokens: 5, temperature: 0.7, topK: 40, seed: 3, stop: [".", 13] },
      (tracer) => {
        const h = lm.transformer.h[6].output[0];
        h.set(h.mul(1.5)); // every step
        tracer.iter([1, 3], () => {
          // An earlier module than h[6]: fine, another step scope.
          lm.transformer.h[2].mlp.output.save("mlp2");
        });
        tracer.iter({ from: 3 }, () => {
          lm.lm_head.output.get(0, -1).argmax().save("top");
        });
      },
    );
    expect(g.traces[0]!.generate).toEqual({
      maxNewTokens: 5,
      temperature: 0.7,
      topK: 40,
      seed: 3,
      stop: { ids: [13], text: ["."] },
    });
    const steps = g.nodes.map((n) => n.steps ?? null);
    expect(steps.filter((s) => s === null).length).toBeGreaterThan(0);
    expect(steps).toContainEqual({ from: 1, to: 3 });
    expect(steps).toContainEqual({ from: 3, to: null });
    expect(messages(g)).toEqual([]);
    expect(parseGraph(JSON.parse(JSON.stringify(g)) as unknown).ok).toBe(true);
    expect(renderGraphText(g)).toMatch(
      /trace 0 \(gpt2-small\): generates 5 token\(s\), temperature 0\.7, top 40, seed 3/,
    );
    expect(renderGraphText(g)).toMatch(/@ steps 1\.\.2/);
  });

  it("leaves a graph without generation as it was (same hash)", () => {
    const lm = gpt2();
    const g = lm.trace("Hello", () => lm.lm_head.output.save("logits"));
    expect(JSON.stringify(g)).not.toMatch(/generate|steps/);
    expect(hashGraph(g)).toBe(
      hashGraph(JSON.parse(JSON.stringify(g)) as typeof g),
    );
  });

  it("refuses what a generation cannot do, naming the node and why", () => {
    const lm = gpt2();
    const stopped = lm.generate("Hi", { maxNewTokens: 2 }, (tracer) => {
      lm.transformer.h[0].output[0].save("h0");
      tracer.stop();
    });
    expect(messages(stopped).join("\n")).toMatch(
      /\(stop\): a generating trace \(trace 0\) cannot hold it: stopping the forward pass early leaves no logits/,
    );
    const named = lm.generate("Hi", { maxNewTokens: 2 }, () => {
      lm.lm_head.output.save("logits@0");
    });
    expect(messages(named).join("\n")).toMatch(
      /the name "logits@0" has an "@", which names a step/,
    );
    const reserved = lm.trace("Hi", () => {
      lm.lm_head.output.save("generated/0/0/0");
    });
    expect(messages(reserved).join("\n")).toMatch(/is reserved/);
  });

  it("refuses a generating trace's value in a later trace, and a step-only value used at every step", () => {
    const lm = gpt2();
    const later = lm.session(() => {
      let h: ReturnType<typeof lm.lm_head.output.get> | undefined;
      lm.generate("Hi", { maxNewTokens: 2 }, () => {
        h = lm.transformer.h[0].output[0].get(0, -1);
      });
      lm.trace("Hi", () => {
        h!.save("h");
      });
    });
    expect(messages(later).join("\n")).toMatch(
      /uses node n\d+ of trace 0, a generating trace whose values exist once per step: save it there/,
    );
    const partial = lm.generate("Hi", { maxNewTokens: 4 }, (tracer) => {
      let x: ReturnType<typeof lm.lm_head.output.get> | undefined;
      tracer.iter(1, () => {
        x = lm.lm_head.output.get(0, -1);
      });
      tracer.iter([0, 2], () => {
        x!.save("x");
      });
    });
    expect(messages(partial).join("\n")).toMatch(
      /runs at steps \[0, 2\) but uses node n\d+, which exists only at steps \[1, 2\)/,
    );
  });

  it("checks the options and step ranges when the graph is built", () => {
    const lm = gpt2();
    expect(() => lm.generate("Hi", { maxNewTokens: 0 }, () => {})).toThrow(
      /maxNewTokens must be an integer from 1 to 4096, got 0/,
    );
    expect(() =>
      lm.generate("Hi", { maxNewTokens: 3, temperature: -1 }, () => {}),
    ).toThrow(/temperature must be from 0/);
    expect(() =>
      lm.generate("Hi", { maxNewTokens: 3 }, (t) => t.iter([2, 2], () => {})),
    ).toThrow(/steps \[2, 2\) are empty/);
    expect(() =>
      lm.trace("Hi", (t) =>
        (t as unknown as { iter: (s: number, f: () => void) => void }).iter(
          0,
          () => {},
        ),
      ),
    ).toThrow(/use it inside lm\.generate/);
  });
});
