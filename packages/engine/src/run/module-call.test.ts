import { afterAll, beforeAll, expect, it } from "vitest";
import type { Envoy } from "@loupe/graph";
import {
  loadFixture,
  maxAbsDiff,
  type LoadedFixture,
} from "../testing/fixture-engines.ts";

/**
 * `module.call(x)` on a module with submodules runs its whole forward on `x`:
 * the clone feeds its children the clone's values (their input identities are
 * part of the call). Found by the architecture matrix (BERT's logit lens
 * through `cls`); before the fix the clone's children read the batch's own
 * tensors, so the call returned the module's real output.
 */
let fx: LoadedFixture;
beforeAll(async () => {
  fx = await loadFixture("gpt2-tiny");
});
afterAll(async () => {
  await fx.engine.close();
});

it("a composite module's call equals the chain of its leaves' calls, not its own output", async () => {
  const t = fx.lm as unknown as Envoy;
  const { saves } = await fx.engine.run(
    fx.lm.trace({ tokens: [[5, 17, 42]] }, () => {
      const x = t.transformer!.h![0]!.output[0]!;
      const mlp = t.transformer!.h![1]!.mlp!;
      mlp.c_proj!.call(mlp.act!.call(mlp.c_fc!.call(x))).save("chain");
      mlp.call(x).save("composite");
      mlp.output.save("real");
    }),
  );
  const data = (k: string) => saves[k]!.data as Float32Array;
  expect(maxAbsDiff(data("composite"), data("chain"))).toBeLessThan(1e-6);
  expect(maxAbsDiff(data("composite"), data("real"))).toBeGreaterThan(1e-3);
});
