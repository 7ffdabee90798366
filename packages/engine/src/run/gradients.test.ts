import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  constant,
  createModel,
  loadTokenizer,
  type Envoy,
  type Graph,
  type Manifest,
  type TensorValue,
} from "@loupe/graph";
import { LoupeEngine } from "../engine.ts";
import { importOnnxModel } from "../import/import-onnx-model.ts";
import { readModelFiles } from "../import/load-model-files.ts";
import {
  FIXTURES,
  loadFixture,
  maxRelDiff,
} from "../testing/fixture-engines.ts";

/**
 * Gradients against PyTorch autograd: fixtures/grads.json (build_grads.py)
 * holds d(logit difference)/d(module tensor) for every fixture model and the
 * bundled model, plain, with interventions in the forward pass, and with a
 * gradient replaced in the backward pass. Tolerance: 1e-4, relative to the
 * value where it exceeds 1 (float32 through different kernels).
 */
const TOLERANCE = 1e-4;

interface Saved {
  shape: number[];
  values: number[];
}
interface GradCase {
  metric: number;
  grads: Record<string, Saved>;
  block_last_received?: Saved;
}
interface GradModel {
  modules: Record<"emb" | "block" | "attn" | "mlp" | "down", string>;
  n_layers: number;
  prompts: Record<string, { text: string; ids: number[] }>;
  metric_ids: Record<string, [number, number]>;
  cases: {
    plain: Record<string, GradCase>;
    intervened: Record<string, GradCase>;
    assigned: Record<string, GradCase>;
  };
}
const reference = JSON.parse(
  readFileSync(path.join(FIXTURES, "grads.json"), "utf8"),
) as { models: Record<string, GradModel> };

const REPO = path.resolve(import.meta.dirname, "..", "..", "..", "..");

async function loadModel(name: string) {
  if (name === "gpt2-tiny-dynamo") {
    const bytes = new Uint8Array(
      readFileSync(path.join(FIXTURES, "dynamo", "gpt2-tiny-dynamo.onnx")),
    );
    const { manifest } = await importOnnxModel(bytes, name);
    return { engine: await LoupeEngine.load(bytes, manifest), manifest };
  }
  if (name !== "facts-gpt2") {
    const f = await loadFixture(name as "gpt2-tiny");
    return { engine: f.engine, manifest: f.manifest };
  }
  const files = await readModelFiles(
    path.join(REPO, "models", "facts", "model.onnx"),
  );
  const engine = await LoupeEngine.load(
    files.bytes,
    files.manifest,
    loadTokenizer(files.tokenizer),
  );
  return { engine, manifest: files.manifest };
}

/**
 * Each model with its reference: the dynamo export of gpt2-tiny has the same
 * weights (fixtures/dynamo/README.md), so gpt2-tiny's gradients are its too;
 * it differentiates LayerNormalization and SplitToSequence/SequenceAt.
 */
const MODELS: [model: string, reference: string][] = [
  ...Object.keys(reference.models).map((m) => [m, m] as [string, string]),
  ["gpt2-tiny-dynamo", "gpt2-tiny"],
];

describe.each(MODELS)(
  "gradients equal PyTorch autograd: %s (reference %s)",
  (name, referenceName) => {
    const spec = reference.models[referenceName]!;
    const L = spec.n_layers;
    let engine: LoupeEngine;
    let manifest: Manifest;
    beforeAll(async () => {
      ({ engine, manifest } = await loadModel(name));
    });
    afterAll(async () => {
      await engine?.close();
    });

    const at = (key: keyof GradModel["modules"], i = 0): Envoy =>
      spec.modules[key]
        .replace("{i}", String(i))
        .split(".")
        .reduce<Envoy>((m, part) => m[part]!, current!);
    let current: Envoy | undefined;
    /** A module's hidden state: its output, or element 0 of a tuple output. */
    const hidden = (m: Envoy): TensorValue => {
      const call = manifest.modules.find((x) => x.path === m.path)?.calls[0];
      return call?.tuple ? m.output[0]! : m.output;
    };

    /**
     * The graph of a case: every reference point's gradient saved under the
     * reference's key, in forward order; `edit` adds the case's interventions.
     */
    const graphOf = (
      prompt: string,
      edit: {
        /** Intervenes on a point's value; returns the written value, if it writes one. */
        forward?: (key: string, value: TensorValue) => TensorValue | undefined;
        gradient?: (key: string, value: TensorValue) => void;
      } = {},
    ): Graph => {
      const lm = createModel(manifest);
      current = lm;
      const [a, b] = spec.metric_ids[prompt]!;
      return lm.trace({ tokens: [spec.prompts[prompt]!.ids] }, () => {
        // The reference's gradients are those of the tensors PyTorch's hooks
        // return: the written value's, where the case writes one.
        const point = (key: string, read: TensorValue) => {
          const value = edit.forward?.(key, read) ?? read;
          if (edit.gradient) edit.gradient(key, value);
          else value.grad.save(key);
        };
        point("emb", at("emb").output);
        for (let i = 0; i < L; i++) {
          point(`attn${i}`, hidden(at("attn", i)));
          if (i === L - 1) point("down_in", at("down", i).input);
          point(`mlp${i}`, at("mlp", i).output);
          point(`block${i}`, hidden(at("block", i)));
        }
        const logits = lm.output.item("logits");
        const metric = logits.get(0, -1, a).sub(logits.get(0, -1, b));
        metric.save("metric");
        metric.backward();
      });
    };

    const expectGrads = (
      saves: Awaited<ReturnType<LoupeEngine["run"]>>["saves"],
      want: GradCase,
    ) => {
      expect(
        Math.abs((saves.metric!.data as Float32Array)[0]! - want.metric),
      ).toBeLessThan(TOLERANCE);
      for (const [key, ref] of Object.entries(want.grads)) {
        const got = saves[key];
        expect(got, `gradient ${key} was saved`).toBeDefined();
        expect(got!.shape, key).toEqual(ref.shape);
        expect(
          maxRelDiff(got!.data as Float32Array, ref.values),
          `gradient of ${key}`,
        ).toBeLessThan(TOLERANCE);
      }
    };

    it.each(Object.keys(spec.cases.plain))(
      "of a logit difference, prompt %s",
      async (prompt) => {
        const { saves } = await engine.run(graphOf(prompt));
        expectGrads(saves, spec.cases.plain[prompt]!);
      },
    );

    it("with interventions in the forward pass (MLP 0 halved, block 0 zeroed at position 1)", async () => {
      const graph = graphOf("A", {
        forward: (key, value) => {
          if (key === "mlp0") return value.set(value.mul(0.5));
          if (key === "block0") return value.set([":", 1, ":"], 0);
          return undefined;
        },
      });
      const { saves } = await engine.run(graph);
      expectGrads(saves, spec.cases.intervened.A!);
    });

    it("with the last block's gradient replaced, changing every earlier gradient", async () => {
      const want = spec.cases.assigned.A!;
      const S = spec.prompts.A!.ids.length;
      const graph = graphOf("A", {
        gradient: (key, value) => {
          if (key !== `block${L - 1}`) {
            value.grad.save(key);
            return;
          }
          const g = value.grad.save("block_last_received");
          const scale = Array.from({ length: S }, (_, p) => [
            p === S - 1 ? 2 : 0,
          ]);
          value.grad = g.mul(constant([scale], "float32"));
        },
      });
      const { saves } = await engine.run(graph);
      expect(
        maxRelDiff(
          saves.block_last_received!.data as Float32Array,
          want.block_last_received!.values,
        ),
      ).toBeLessThan(TOLERANCE);
      expectGrads(saves, want);
    });

    it("batched: two prompts of different lengths in invokes get each their own gradients", async () => {
      const lm = createModel(manifest);
      current = lm;
      const graph = lm.trace((tracer) => {
        for (const prompt of ["A", "B"]) {
          tracer.invoke({ tokens: [spec.prompts[prompt]!.ids] }, () => {
            at("mlp", 0).output.grad.save(`mlp0_${prompt}`);
            hidden(at("block", L - 1)).grad.save(`block_${prompt}`);
          });
        }
        // One scalar for the trace: the sum of both invokes' metrics.
        let total: TensorValue | undefined;
        tracer.invoke(null, () => {
          const logits = lm.output.item("logits");
          for (const [row, prompt] of [
            [0, "A"],
            [1, "B"],
          ] as const) {
            const [a, b] = spec.metric_ids[prompt]!;
            const m = logits.get(row, -1, a).sub(logits.get(row, -1, b));
            total = total ? total.add(m) : m;
          }
          total!.backward();
        });
      });
      const { saves } = await engine.run(graph);
      for (const prompt of ["A", "B"]) {
        const want = spec.cases.plain[prompt]!.grads;
        expect(
          maxRelDiff(
            saves[`mlp0_${prompt}`]!.data as Float32Array,
            want.mlp0!.values,
          ),
        ).toBeLessThan(TOLERANCE);
        expect(
          maxRelDiff(
            saves[`block_${prompt}`]!.data as Float32Array,
            want[`block${L - 1}`]!.values,
          ),
        ).toBeLessThan(TOLERANCE);
      }
    });
  },
);

describe("gradients of several users' graphs in one batch", () => {
  const spec = reference.models["gpt2-tiny"]!;
  let engine: LoupeEngine;
  let manifest: Manifest;
  beforeAll(async () => {
    ({ engine, manifest } = await loadModel("gpt2-tiny"));
  });
  afterAll(async () => {
    await engine?.close();
  });

  /** One user's graph: the MLP 0 gradient of a prompt's logit difference; optionally cutting the gradient at block 1. */
  const userGraph = (prompt: string, cut = false): Graph => {
    const lm = createModel(manifest);
    const h = (lm as unknown as Envoy).transformer!.h!;
    const [a, b] = spec.metric_ids[prompt]!;
    return lm.trace({ tokens: [spec.prompts[prompt]!.ids] }, () => {
      h[0]!.mlp!.output.grad.save("mlp0");
      if (cut) h[1]!.output[0]!.grad = 0;
      const logits = lm.output.item("logits");
      logits
        .get(0, -1, a)
        .sub(logits.get(0, -1, b))
        .backward();
    });
  };

  it("each graph gets its own gradients, and one graph's gradient write never reaches another's rows", async () => {
    const lm = createModel(manifest);
    const forwardOnly = lm.trace({ tokens: [spec.prompts.B!.ids] }, () => {
      lm.output.item("logits").save("logits");
    });
    const passes = engine.metrics.forwardPasses;
    const [a, b, cut, plain] = await engine.runMany([
      { checked: engine.check(userGraph("A")) },
      { checked: engine.check(userGraph("B")) },
      { checked: engine.check(userGraph("A", true)) },
      { checked: engine.check(forwardOnly) },
    ]);
    // One forward pass (and one backward pass) for all four.
    expect(engine.metrics.forwardPasses - passes).toBe(1);
    expect(
      maxRelDiff(
        a!.saves.mlp0!.data as Float32Array,
        spec.cases.plain.A!.grads.mlp0!.values,
      ),
    ).toBeLessThan(TOLERANCE);
    expect(
      maxRelDiff(
        b!.saves.mlp0!.data as Float32Array,
        spec.cases.plain.B!.grads.mlp0!.values,
      ),
    ).toBeLessThan(TOLERANCE);
    // The third graph zeroed the gradient at block 1: MLP 0's gradient then
    // flows only through block 0's own path, and differs from the plain one.
    const alone = (await engine.run(userGraph("A", true))).saves.mlp0!;
    expect(
      maxRelDiff(
        cut!.saves.mlp0!.data as Float32Array,
        Array.from(alone.data as Float32Array),
      ),
    ).toBeLessThan(1e-6);
    expect(
      maxRelDiff(
        cut!.saves.mlp0!.data as Float32Array,
        spec.cases.plain.A!.grads.mlp0!.values,
      ),
    ).toBeGreaterThan(1e-3);
    expect(plain!.saves.logits).toBeDefined();
  });
});

describe("backward models are compiled once per structure", () => {
  let engine: LoupeEngine;
  let manifest: Manifest;
  beforeAll(async () => {
    ({ engine, manifest } = await loadModel("gpt2-tiny"));
  });
  afterAll(async () => {
    await engine?.close();
  });

  const graph = (scale: number): Graph => {
    const lm = createModel(manifest);
    const h = (lm as unknown as Envoy).transformer!.h!;
    return lm.trace("The truth is the", () => {
      h[0]!.mlp!.output.grad.save("mlp0");
      const hidden = h[1]!.output[0]!;
      hidden.grad = hidden.grad.mul(scale);
      lm.output.item("logits").get(0, -1, 3).backward();
    });
  };

  it("a rerun, or a changed constant, compiles no session; the gradient follows the constant", async () => {
    const first = (await engine.run(graph(2))).saves.mlp0!;
    const compiled = { ...engine.metrics };
    expect(compiled.backwardsCompiled).toBeGreaterThan(0);
    const again = (await engine.run(graph(2))).saves.mlp0!;
    const halved = (await engine.run(graph(1))).saves.mlp0!;
    expect(engine.metrics.backwardsCompiled).toBe(compiled.backwardsCompiled);
    expect(engine.metrics.piecesCompiled).toBe(compiled.piecesCompiled);
    expect(engine.metrics.segmentsCompiled).toBe(compiled.segmentsCompiled);
    expect(Array.from(again.data as Float32Array)).toEqual(
      Array.from(first.data as Float32Array),
    );
    // MLP 0's gradient flows back through block 1's output (scaled) and through nothing else.
    const a = first.data as Float32Array;
    const b = halved.data as Float32Array;
    for (let i = 0; i < a.length; i++)
      expect(Math.abs(a[i]! - 2 * b[i]!)).toBeLessThanOrEqual(
        1e-5 * Math.max(1, Math.abs(a[i]!)),
      );
  });
});
