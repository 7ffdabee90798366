import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  constant,
  createModel,
  generatedIds,
  loadTokenizer,
  savedSteps,
  type Envoy,
  type Graph,
  type Manifest,
  type Model,
} from "@loupe/graph";
import { LoupeEngine } from "../engine.ts";
import { importOnnxModel } from "../import/import-onnx-model.ts";
import { readModelFiles } from "../import/load-model-files.ts";
import { FIXTURES, maxRelDiff } from "../testing/fixture-engines.ts";

/**
 * Generation against PyTorch (fixtures/generate.json, build_generate.py):
 * greedy ids exactly, per-step saved values within 1e-4 (relative above 1),
 * on every fixture model, with the key/value cache (the -kv exports: step 0
 * reads the prompt, later steps one token) and without (the plain exports:
 * every step recomputes the sequence), alone, in invokes of different lengths,
 * and as separate users' graphs in one batch.
 */
const TOLERANCE = 1e-4;

interface Saved {
  shape: number[];
  values: number[];
}
interface GenCase {
  ids: number[] | number[][];
  top1_logits: Saved;
  block1_last?: Saved;
  params?: { scale?: number; steps?: number[] };
}
interface GenModel {
  modules: { block: string; mlp: string };
  hidden_size: number;
  onnx: string;
  kv_onnx: string;
  n_new: number;
  prompts: Record<"A" | "B", { text: string; ids: number[] }>;
  cases: Record<"plain", Record<"A" | "B", GenCase>> &
    Record<"batch" | "steered" | "ablated_at_step", GenCase>;
  cases_cached: GenModel["cases"];
}
const reference = JSON.parse(
  readFileSync(path.join(FIXTURES, "generate.json"), "utf8"),
) as { models: Record<string, GenModel> };
const REPO = path.resolve(import.meta.dirname, "..", "..", "..", "..");

async function load(file: string, name: string) {
  const full = file.startsWith("models/")
    ? path.join(REPO, file)
    : path.join(FIXTURES, file);
  if (file.startsWith("models/") && file.endsWith("model.onnx")) {
    const files = await readModelFiles(full);
    return {
      engine: await LoupeEngine.load(
        files.bytes,
        files.manifest,
        loadTokenizer(files.tokenizer),
      ),
      manifest: files.manifest,
    };
  }
  const bytes = new Uint8Array(readFileSync(full));
  const { manifest } = await importOnnxModel(bytes, name);
  return { engine: await LoupeEngine.load(bytes, manifest), manifest };
}

const at = (tpl: string, i: number) => tpl.replace("{i}", String(i));
function moduleAt(lm: Model<Envoy & Record<string, Envoy>>, p: string): Envoy {
  return p.split(".").reduce<Envoy>((m, k) => m[k]!, lm as unknown as Envoy);
}

const VARIANTS = Object.keys(reference.models).flatMap((name) => [
  { name, kv: true },
  { name, kv: false },
]);

describe.each(VARIANTS)(
  "generation equals PyTorch's: $name, kv cache $kv",
  ({ name, kv }) => {
    const spec = reference.models[name]!;
    const cases = kv ? spec.cases_cached : spec.cases;
    const N = spec.n_new;
    let engine: LoupeEngine;
    let manifest: Manifest;
    let lm: Model<Envoy & Record<string, Envoy>>;
    beforeAll(async () => {
      ({ engine, manifest } = await load(kv ? spec.kv_onnx : spec.onnx, name));
      lm = createModel(manifest);
    });
    afterAll(async () => {
      await engine?.close();
    });

    /** Saves the last position's block-1 state and top logit of each row, at every step. */
    const probe = (rows: number) => {
      const block1 = moduleAt(lm, at(spec.modules.block, 1)).output[0]!;
      for (let r = 0; r < rows; r++) block1.get(r, -1).save(`block1.${r}`);
      moduleAt(lm, "lm_head").output.get(":", -1).max(-1).save("top1");
    };
    const checkSteps = (
      saves: Awaited<ReturnType<LoupeEngine["run"]>>["saves"],
      want: GenCase,
      rows: number,
    ) => {
      const top1 = savedSteps(saves, "top1");
      expect(top1.map((s) => s.step)).toEqual([...Array(N).keys()]);
      const got = top1.flatMap((s) => Array.from(s.value.data as Float32Array));
      expect(maxRelDiff(got, want.top1_logits.values)).toBeLessThanOrEqual(
        TOLERANCE,
      );
      if (want.block1_last) {
        const steps = [...Array(N).keys()];
        const values = steps.flatMap((s) =>
          [...Array(rows).keys()].flatMap((r) =>
            Array.from(saves[`block1.${r}@${s}`]!.data as Float32Array),
          ),
        );
        expect(maxRelDiff(values, want.block1_last.values)).toBeLessThanOrEqual(
          TOLERANCE,
        );
      }
    };

    it.each(["A", "B"] as const)(
      "greedy, prompt %s alone: ids and per-step values",
      async (p) => {
        const graph = lm.generate(
          { tokens: spec.prompts[p].ids },
          { maxNewTokens: N, kvCache: kv },
          () => probe(1),
        );
        const result = await engine.run(graph);
        expect(generatedIds(result.saves)).toEqual([[cases.plain[p].ids]]);
        expect(result.generated[0]).toMatchObject({
          reason: "length",
          kvCache: kv,
        });
        checkSteps(result.saves, cases.plain[p], 1);
      },
    );

    it("two prompts of different lengths as invokes of one generation (left padding)", async () => {
      const graph = lm.generate({ maxNewTokens: N, kvCache: kv }, (g) => {
        g.invoke({ tokens: spec.prompts.A.ids }, () => probe(1));
        g.invoke({ tokens: spec.prompts.B.ids }, () => {});
      });
      const { saves } = await engine.run(graph);
      const ids = cases.batch.ids as number[][];
      expect(generatedIds(saves)).toEqual([[ids[0]], [ids[1]]]);
      // Invoke 0's row is row 0 of the batch: its values are the batch's row A.
      const top1 = savedSteps(saves, "top1").map(
        (s) => (s.value.data as Float32Array)[0]!,
      );
      // The uncached reference records the batch's ids only (its logits equal each prompt's alone).
      const wantTop1 = cases.batch.top1_logits
        ? cases.batch.top1_logits.values.filter((_, i) => i % 2 === 0)
        : cases.plain.A.top1_logits.values;
      expect(maxRelDiff(top1, wantTop1)).toBeLessThanOrEqual(TOLERANCE);
    });

    it("separate users' generations in one batch each get their own ids", async () => {
      const graphs = (["A", "B"] as const).map((p) =>
        lm.generate(
          { tokens: spec.prompts[p].ids },
          { maxNewTokens: N, kvCache: kv },
          () => probe(1),
        ),
      );
      const results = await engine.runMany(
        graphs.map((graph) => ({ checked: engine.check(graph) })),
      );
      results.forEach((r, i) => {
        const p = (["A", "B"] as const)[i]!;
        expect(r.error).toBeUndefined();
        expect(generatedIds(r.saves)).toEqual([[cases.plain[p].ids]]);
        checkSteps(r.saves, cases.plain[p], 1);
      });
    });

    it("steering at every step: block 0's output plus scale * sin(j)", async () => {
      const d = spec.hidden_size;
      const scale = cases.steered.params!.scale!;
      const v = Float32Array.from({ length: d }, (_, j) => scale * Math.sin(j));
      const graph = lm.generate(
        { tokens: spec.prompts.A.ids },
        { maxNewTokens: N, kvCache: kv },
        () => {
          const h = moduleAt(lm, at(spec.modules.block, 0)).output[0]!;
          h.set(h.add(constant(Array.from(v), "float32")));
          probe(1);
        },
      );
      const { saves } = await engine.run(graph);
      expect(generatedIds(saves)).toEqual([[cases.steered.ids]]);
      expect(cases.steered.ids).not.toEqual(cases.plain.A.ids);
      checkSteps(saves, cases.steered, 1);
    });

    it("an ablation at chosen steps only (tracer.iter)", async () => {
      const [from, to] = [2, 4];
      expect(cases.ablated_at_step.params!.steps).toEqual([2, 3]);
      const graph = lm.generate(
        { tokens: spec.prompts.B.ids },
        { maxNewTokens: N, kvCache: kv },
        (g) => {
          g.iter([from, to], () => {
            const mlp = moduleAt(lm, at(spec.modules.mlp, 0)).output;
            mlp.set(mlp.mul(0));
          });
          probe(1);
        },
      );
      const { saves } = await engine.run(graph);
      expect(generatedIds(saves)).toEqual([[cases.ablated_at_step.ids]]);
      checkSteps(saves, cases.ablated_at_step, 1);
    });
  },
);

describe("generation's options and failures", () => {
  // llama-tiny: its greedy continuation of A has no repeated token early on.
  const spec = reference.models["llama-tiny"]!;
  let engine: LoupeEngine;
  let lm: Model<Envoy & Record<string, Envoy>>;
  beforeAll(async () => {
    const loaded = await load(spec.kv_onnx, "llama-tiny");
    engine = loaded.engine;
    lm = createModel(loaded.manifest);
  });
  afterAll(async () => {
    await engine?.close();
  });
  const prompt = { tokens: spec.prompts.A.ids };
  const run = async (graph: Graph) => engine.run(graph);

  it("stops a row after a stop id, and says why", async () => {
    const ids = spec.cases_cached.plain.A.ids as number[];
    const stop = ids.find((id, i) => i > 0 && ids.indexOf(id) === i)!;
    const upTo = ids.slice(0, ids.indexOf(stop) + 1);
    expect(upTo.length).toBeLessThan(8);
    const result = await run(
      lm.generate(prompt, { maxNewTokens: 8, stop }, () => {}),
    );
    expect(generatedIds(result.saves)).toEqual([[upTo]]);
    expect(result.generated[0]!.reason).toBe("stop_id");
  });

  it("samples reproducibly from the seed; another seed gives other tokens", async () => {
    const opts = { maxNewTokens: 8, temperature: 1.5, topK: 50 };
    const ids = async (seed: number) =>
      generatedIds(
        (await run(lm.generate(prompt, { ...opts, seed }, () => {}))).saves,
      )[0]![0]!;
    const [a, b, c] = [await ids(1), await ids(1), await ids(2)];
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    // A graph batched with another user's samples the same as alone.
    const [alone, other] = await engine.runMany([
      {
        checked: engine.check(
          lm.generate(prompt, { ...opts, seed: 1 }, () => {}),
        ),
      },
      {
        checked: engine.check(
          lm.generate(
            { tokens: spec.prompts.B.ids },
            { ...opts, seed: 9 },
            () => {},
          ),
        ),
      },
    ]);
    expect(generatedIds(alone!.saves)[0]![0]).toEqual(a);
    expect(other!.error).toBeUndefined();
  });

  it("users' generations in one batch keep their own lengths, stops and interventions: each equals its run alone", async () => {
    const A = { tokens: spec.prompts.A.ids };
    const B = { tokens: spec.prompts.B.ids };
    const ids = spec.cases_cached.plain.A.ids as number[];
    const graphs = [
      lm.generate(A, { maxNewTokens: 8, stop: ids[3]! }, () => {}),
      lm.generate(B, { maxNewTokens: 5 }, (g) => {
        g.iter(1, () => {
          const mlp = lm.model!.layers![0]!.mlp!.output;
          mlp.set(mlp.mul(0));
        });
      }),
      lm.generate(
        { tokens: [...spec.prompts.B.ids, ...spec.prompts.A.ids] },
        { maxNewTokens: 6, temperature: 1, seed: 7 },
        () => {
          const h = lm.model!.layers![1]!.output[0]!;
          h.set(h.mul(1.25));
        },
      ),
    ];
    const together = await engine.runMany(
      graphs.map((graph) => ({ checked: engine.check(graph) })),
    );
    for (const [i, graph] of graphs.entries()) {
      const alone = await run(graph);
      expect(together[i]!.error).toBeUndefined();
      expect(generatedIds(together[i]!.saves)).toEqual(
        generatedIds(alone.saves),
      );
      expect(together[i]!.generated[0]!.reason).toBe(
        alone.generated[0]!.reason,
      );
    }
    expect(together.map((r) => r.generated[0]!.reason)).toEqual([
      "stop_id",
      "length",
      "length",
    ]);
    expect(together.map((r) => r.generated[0]!.ids.length)).toEqual([
      ids.indexOf(ids[3]!) + 1,
      5,
      6,
    ]);
  });

  it("tracer.cache in a generation saves each module's output at every step, as cache/<path>@step", async () => {
    const N = 4;
    const { saves } = await run(
      lm.generate(prompt, { maxNewTokens: N }, (g) => {
        g.cache(["model.layers.1"]);
        lm.model!.layers![1]!.output[0]!.save("h1");
      }),
    );
    const cached = savedSteps(saves, "cache/model.layers.1");
    expect(cached.map((c) => c.step)).toEqual([0, 1, 2, 3]);
    expect(saves["cache/model.layers.1"]).toBeUndefined();
    for (const { step, value } of cached) {
      const h = saves[`h1@${step}`]!;
      // With the cache: the prompt at step 0, one position after.
      expect(value.shape).toEqual(h.shape);
      expect(Array.from(value.data as Float32Array)).toEqual(
        Array.from(h.data as Float32Array),
      );
    }
    expect(cached[0]!.value.shape[1]).toBe(spec.prompts.A.ids.length);
    expect(cached[1]!.value.shape[1]).toBe(1);
  });

  it("streams every token as it is generated, and stops when cancelled", async () => {
    const seen: { step: number; id: number }[] = [];
    const controller = new AbortController();
    const result = await engine.run(
      {
        graph: lm.generate(prompt, { maxNewTokens: 8 }, () => {}),
        signal: controller.signal,
      },
      {
        onToken: (e) => {
          seen.push({ step: e.step, id: e.id });
          if (e.step === 2) controller.abort();
        },
      },
    );
    const want = (spec.cases_cached.plain.A.ids as number[]).slice(0, 3);
    expect(seen).toEqual(want.map((id, step) => ({ step, id })));
    expect(generatedIds(result.saves)).toEqual([[want]]);
    expect(result.generated[0]!.reason).toBe("cancelled");
  });

  it("refuses step scopes outside a generation and steps it never reaches, by name", () => {
    expect(() =>
      lm.generate(prompt, { maxNewTokens: 4 }, (g) => g.iter(4, () => {})),
    ).toThrow(/step 4 never runs: the generation has 4 step\(s\), 0 to 3/);
    const graph = lm.trace(prompt, () => {
      lm.lm_head!.output.save("x");
    });
    graph.nodes[0] = { ...graph.nodes[0]!, steps: { from: 0, to: 2 } };
    return expect(engine.run(graph)).rejects.toThrow(
      /names generation steps \[0, 2\), but trace 0 does not generate/,
    );
  });

  it("refuses a value that exists only at some steps used at every step", async () => {
    const graph = lm.generate(prompt, { maxNewTokens: 4 }, (g) => {
      let early: ReturnType<typeof constant> | undefined;
      g.iter([0, 2], () => {
        early = lm.lm_head!.output.get(0, -1);
      });
      early!.save("late");
    });
    await expect(engine.run(graph)).rejects.toThrow(
      /runs at every step but uses node n\d+, which exists only at steps \[0, 2\)/,
    );
  });
});

describe("a key/value cache asked for and not there (issue 20, finding 8)", () => {
  const spec = reference.models["llama-tiny"]!;
  const prompt = { tokens: spec.prompts.A.ids };
  const loaded: LoupeEngine[] = [];
  afterAll(async () => {
    for (const engine of loaded) await engine.close();
  });
  const generate = async (file: string, kvCache: boolean | undefined) => {
    const { engine, manifest } = await load(file, "llama-tiny");
    loaded.push(engine);
    const lm = createModel(manifest);
    return engine.run(
      lm.generate(
        prompt,
        { maxNewTokens: 2, ...(kvCache !== undefined && { kvCache }) },
        () => {},
      ),
    );
  };

  it("says so in the result's warnings when kvCache: true meets an export without a cache; the tokens are the same", async () => {
    const without = await generate(spec.onnx, true);
    expect(without.warnings).toEqual([
      "trace 0 asked for the key/value cache (kvCache: true), but the model's export has none (no past_key_values.* inputs with present.* outputs): every step recomputed the whole sequence (same tokens, more time)",
    ]);
    expect(without.generated[0]!.kvCache).toBe(false);
    const withCache = await generate(spec.kv_onnx, true);
    expect(withCache.warnings).toEqual([]);
    expect(withCache.generated[0]!.kvCache).toBe(true);
    expect(generatedIds(without.saves)).toEqual(generatedIds(withCache.saves));
  });

  it("stays quiet when the cache was not asked for (the default: use one if the export has it) or was turned off", async () => {
    expect((await generate(spec.onnx, undefined)).warnings).toEqual([]);
    expect((await generate(spec.onnx, false)).warnings).toEqual([]);
  });
});
