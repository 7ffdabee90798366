import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { constant, type Envoy, type Graph } from "@loupe/graph";
import {
  FIXTURE_MODELS,
  FIXTURES,
  loadFixture,
  maxAbsDiff,
  type LoadedFixture,
} from "../testing/fixture-engines.ts";

/**
 * Parity with PyTorch: each case of fixtures/parity.json (computed with PyTorch
 * hooks when the fixtures were built, each prompt alone) written as a Loupe graph
 * and run by the engine. Tolerance 1e-4 absolute (float32 through different
 * kernels; observed differences are ~1e-6).
 */
const TOLERANCE = 1e-4;

interface Saved {
  shape: number[];
  values: number[];
}
interface ParityFile {
  prompts: Record<string, { text: string; ids: number[] }>;
  models: Record<
    string,
    {
      modules: Record<"block" | "mlp" | "down" | "norm" | "head", string>;
      cases: Record<string, { saves: Record<string, Saved> }>;
    }
  >;
}
const parity = JSON.parse(
  readFileSync(path.join(FIXTURES, "parity.json"), "utf8"),
) as ParityFile;
const { A, B, C } = parity.prompts as Record<"A" | "B" | "C", { text: string }>;

function moduleAt(root: Envoy, pathText: string): Envoy {
  return pathText.split(".").reduce<Envoy>((m, part) => m[part]!, root);
}

describe.each(FIXTURE_MODELS)("parity with PyTorch hooks: %s", (name) => {
  let fixture: LoadedFixture;
  const spec = parity.models[name]!;
  const mod = (key: keyof typeof spec.modules, i = 0) =>
    moduleAt(fixture.lm, spec.modules[key].replace("{i}", String(i)));

  beforeAll(async () => {
    fixture = await loadFixture(name);
  });
  afterAll(async () => {
    await fixture.engine.close();
  });

  const graphs: Record<string, () => Graph> = {
    plain: () =>
      fixture.lm.trace(A.text, () => {
        fixture.lm.output.item("logits").save("logits");
      }),
    saved_outputs: () =>
      fixture.lm.trace(A.text, () => {
        mod("mlp", 0).output.save("mlp0");
        mod("block", 1).output[0]!.save("block1");
      }),
    set_neurons: () =>
      fixture.lm.trace(B.text, () => {
        mod("down", 1).input.set([":", ":", [3, 17, 40]], 5);
        fixture.lm.output.item("logits").save("logits");
      }),
    patching: () =>
      fixture.lm.trace((tracer) => {
        let h: ReturnType<Envoy["output"]["get"]> | undefined;
        tracer.invoke(A.text, () => {
          h = mod("block", 0).output[0]!.get(":", 3, ":");
        });
        tracer.invoke(B.text, () => {
          mod("block", 0).output[0]!.set([":", 1, ":"], h!);
          fixture.lm.output.item("logits").save("logits");
        });
      }),
    zero_ablation: () =>
      fixture.lm.trace(A.text, () => {
        mod("mlp", 1).output.set(0);
        fixture.lm.output.item("logits").save("logits");
      }),
    steering: () =>
      fixture.lm.trace(B.text, () => {
        const v = Array.from({ length: 64 }, (_, j) =>
          Math.fround(0.5 * Math.sin(j)),
        );
        const hidden = mod("block", 0).output[0]!;
        hidden.set(hidden.add(constant(v, "float32")));
        fixture.lm.output.item("logits").save("logits");
      }),
    logit_lens: () =>
      fixture.lm.trace(A.text, () => {
        for (const i of [0, 1]) {
          const h = mod("block", i).output[0]!.get(":", -1, ":");
          mod("head").call(mod("norm").call(h)).save(`layer${i}`);
        }
      }),
    skip: () =>
      fixture.lm.trace(A.text, () => {
        mod("block", 1).skip(mod("block", 1).input);
        fixture.lm.output.item("logits").save("logits");
      }),
    session: () =>
      fixture.lm.session(() => {
        let h: ReturnType<Envoy["output"]["get"]> | undefined;
        fixture.lm.trace(A.text, () => {
          h = mod("block", 1).output[0]!.get(":", -1, ":");
        });
        fixture.lm.trace(C.text, () => {
          mod("block", 1).output[0]!.set([":", -1, ":"], h!);
          fixture.lm.output.item("logits").save("logits");
        });
      }),
  };

  it.each(Object.keys(spec.cases))(
    "%s equals PyTorch within 1e-4",
    async (caseName) => {
      const build = graphs[caseName];
      expect(
        build,
        `no graph written for parity case ${caseName}`,
      ).toBeDefined();
      const { saves } = await fixture.engine.run(build!());
      const expected = spec.cases[caseName]!.saves;
      expect(Object.keys(saves).sort()).toEqual(Object.keys(expected).sort());
      for (const [key, want] of Object.entries(expected)) {
        const got = saves[key]!;
        expect(got.shape, key).toEqual(want.shape);
        expect(
          maxAbsDiff(got.data as Float32Array, want.values),
          key,
        ).toBeLessThan(TOLERANCE);
      }
    },
  );
});
