import { afterAll, beforeAll, expect, it } from "vitest";
import type { Envoy } from "@loupe/graph";
import { loadFixture, type LoadedFixture } from "../testing/fixture-engines.ts";

/** Engine bugs that random graphs found (a property test of the graph optimizer, removed with it in issue 22). */
let fx: LoadedFixture;
const h0 = () => (fx.lm as unknown as Envoy).transformer!.h![0]!;
beforeAll(async () => {
  fx = await loadFixture("gpt2-tiny");
});
afterAll(async () => {
  await fx.engine.close();
});

it("selects booleans with where (no bool kernel in ONNX Runtime's CPU Where)", async () => {
  const { saves } = await fx.engine.run(
    fx.lm.trace("Hello World", () => {
      const m = h0().output[0]!.gt(0);
      m.where(m, m.lt(1)).save("w");
      m.save("m");
    }),
  );
  expect(saves.w!.dtype).toBe("bool");
  expect([...saves.w!.data]).toEqual([...saves.m!.data].map(() => 1));
});

it("returns the written value from .set() and computes with it", async () => {
  const { saves } = await fx.engine.run(
    fx.lm.trace("Hello World", () => {
      const h = h0().output[0]!;
      const before = h.save("before");
      h.set(before.mul(2)).add(1).save("after");
    }),
  );
  const b = saves.before!.data as Float32Array;
  const a = saves.after!.data as Float32Array;
  expect(a.length).toBe(b.length);
  b.forEach((v, i) => expect(a[i]).toBeCloseTo(2 * v + 1, 5));
});

it("adds a plain number to a mask as PyTorch does (bool + int -> int64)", async () => {
  const { saves } = await fx.engine.run(
    fx.lm.trace("Hello World", () => {
      h0().output[0]!.gt(0).add(1).save("r");
    }),
  );
  expect(saves.r!.dtype).toBe("int64");
  expect(
    [...(saves.r!.data as BigInt64Array)].every((v) => v === 1n || v === 2n),
  ).toBe(true);
});
