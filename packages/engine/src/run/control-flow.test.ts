import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Envoy } from "@loupe/graph";
import {
  FIXTURES,
  loadFixture,
  maxAbsDiff,
  type LoadedFixture,
} from "../testing/fixture-engines.ts";

/** cache, stop and edits on the GPT-2 fixture, against PyTorch (parity.json) or plain reads. */
const parity = JSON.parse(
  readFileSync(path.join(FIXTURES, "parity.json"), "utf8"),
) as {
  prompts: Record<string, { text: string }>;
  models: Record<
    string,
    { cases: Record<string, { saves: Record<string, { values: number[] }> }> }
  >;
};
const A = parity.prompts.A!.text;
const reference = parity.models["gpt2-tiny"]!.cases;

let fx: LoadedFixture;
const layer = (i: number) => (fx.lm as unknown as Envoy).transformer!.h![i]!;
beforeAll(async () => {
  fx = await loadFixture("gpt2-tiny");
});
afterAll(async () => {
  await fx.engine.close();
});

it("cache saves each module's output after interventions, as cache/<path>", async () => {
  const { saves } = await fx.engine.run(
    fx.lm.trace(A, (tracer) => {
      tracer.cache(["transformer.h.0.mlp", "transformer.h.1"]);
      layer(1).mlp!.output.set(0);
      fx.lm.output.item("logits").save("logits");
    }),
  );
  expect(Object.keys(saves).sort()).toEqual([
    "cache/transformer.h.0.mlp",
    "cache/transformer.h.1",
    "logits",
  ]);
  expect(
    maxAbsDiff(
      saves["cache/transformer.h.0.mlp"]!.data as Float32Array,
      reference.saved_outputs!.saves.mlp0!.values,
    ),
  ).toBeLessThan(1e-4);
  // Layer 1's output is cached after its MLP was zeroed: it differs from the plain one...
  expect(
    maxAbsDiff(
      saves["cache/transformer.h.1"]!.data as Float32Array,
      reference.saved_outputs!.saves.block1!.values,
    ),
  ).toBeGreaterThan(1e-3);
  // ...and the logits are those of the zero-ablation reference.
  expect(
    maxAbsDiff(
      saves.logits!.data as Float32Array,
      reference.zero_ablation!.saves.logits!.values,
    ),
  ).toBeLessThan(1e-4);
});

it("stop() ends the pass after the last value it needs: later pieces do not run", async () => {
  const full = fx.lm.trace(A, () => {
    layer(0).mlp!.output.save("mlp0");
    fx.lm.output.item("logits").save("logits");
  });
  await fx.engine.run(full); // compile what both graphs need
  const before = fx.engine.metrics.sessionRuns;
  await fx.engine.run(full);
  const fullRuns = fx.engine.metrics.sessionRuns - before;
  const stopped = fx.lm.trace(A, (tracer) => {
    layer(0).mlp!.output.save("mlp0");
    tracer.stop();
  });
  const mid = fx.engine.metrics.sessionRuns;
  const { saves } = await fx.engine.run(stopped);
  expect(fx.engine.metrics.sessionRuns - mid).toBeLessThan(fullRuns);
  expect(Object.keys(saves)).toEqual(["mlp0"]);
  expect(
    maxAbsDiff(
      saves.mlp0!.data as Float32Array,
      reference.saved_outputs!.saves.mlp0!.values,
    ),
  ).toBeLessThan(1e-4);
});

it("edits apply to every trace of an edited model, on all of its rows", async () => {
  const edited = fx.lm.edit(() => {
    layer(1).mlp!.output.set(0);
  });
  const { saves } = await fx.engine.run(
    edited.trace(A, () => {
      edited.output.item("logits").save("logits");
    }),
  );
  expect(
    maxAbsDiff(
      saves.logits!.data as Float32Array,
      reference.zero_ablation!.saves.logits!.values,
    ),
  ).toBeLessThan(1e-4);
  const plain = await fx.engine.run(
    fx.lm.trace(A, () => {
      fx.lm.output.item("logits").save("logits");
    }),
  );
  expect(
    maxAbsDiff(
      plain.saves.logits!.data as Float32Array,
      reference.plain!.saves.logits!.values,
    ),
  ).toBeLessThan(1e-4);
});
