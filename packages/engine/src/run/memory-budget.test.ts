import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createModel,
  type Envoy,
  type Graph,
  type Manifest,
} from "@loupe/graph";
import { LoupeEngine, MemoryBudgetError } from "../engine.ts";
import { importOnnxModel } from "../import/import-onnx-model.ts";
import { FIXTURES } from "../testing/fixture-engines.ts";
import { ModelAdmissionError } from "../weights/admit-model.ts";

const bytes = new Uint8Array(
  fs.readFileSync(path.join(FIXTURES, "gpt2-tiny.onnx")),
);
let manifest: Manifest;
let weightsDir: string;
beforeAll(async () => {
  manifest = (await importOnnxModel(bytes, "gpt2-tiny")).manifest;
  weightsDir = fs.mkdtempSync(path.join(os.tmpdir(), "loupe-budget-"));
});
afterAll(() => fs.rmSync(weightsDir, { recursive: true, force: true }));

/** A graph of `rows` prompts of 12 tokens, saving the logits and a block output. */
function graphOf(rows: number, first: number): Graph {
  const lm = createModel<Envoy & Record<string, Envoy>>(manifest);
  return lm.trace(
    {
      tokens: Array.from({ length: rows }, (_, r) =>
        Array.from({ length: 12 }, (_, i) => (first + r * 7 + i * 3) % 400),
      ),
    },
    () => {
      (lm as unknown as Envoy).transformer!.h![1]!.output[0]!.save("h1");
      lm.output.item("logits").save("logits");
    },
  );
}

describe("admission", () => {
  it("a model over the memory budget is refused before loading, by name and bytes", async () => {
    const dir = path.join(weightsDir, "refused");
    const error = await LoupeEngine.load(bytes, manifest, undefined, {
      memoryBudgetBytes: 100_000,
      weightsDir: dir,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelAdmissionError);
    expect((error as ModelAdmissionError).code).toBe("MODEL_ADMISSION");
    expect((error as Error).message).toMatch(
      /^model "gpt2-tiny" needs .* \(\d+ bytes\) for its weights, over the memory budget of 97\.7 KiB \(100000 bytes\)$/,
    );
    expect((error as ModelAdmissionError).neededBytes).toBeGreaterThan(600_000);
    // Nothing of it was written or compiled.
    expect(fs.existsSync(dir)).toBe(false);
  });
});

describe("a batch over the memory budget", () => {
  it("is split into batches that fit, with each category in the metrics, and gives the same results", async () => {
    const free = await LoupeEngine.load(bytes, manifest, undefined, {
      weightsDir,
    });
    const probe = await LoupeEngine.load(bytes, manifest, undefined, {
      weightsDir,
      memoryBudgetBytes: 2 ** 30,
    });
    const perGraph = probe.estimateActivationBytes(3, 12)!;
    expect(perGraph).toBeGreaterThan(0);
    const sessions = probe.cachedBytes;
    await probe.close();
    // Room for two graphs of 3 rows at a time, not three.
    const budget = free.weightBytes + sessions + Math.round(2.5 * perGraph);
    const tight = await LoupeEngine.load(bytes, manifest, undefined, {
      weightsDir,
      memoryBudgetBytes: budget,
    });
    try {
      const graphs = [
        graphOf(3, 1),
        graphOf(3, 50),
        graphOf(3, 99),
        graphOf(40, 7),
      ];
      const before = tight.metrics.batchesSplit;
      const split = await tight.runMany(
        graphs.map((graph) => ({ checked: tight.check(graph) })),
      );
      const whole = await free.runMany(
        graphs.slice(0, 3).map((graph) => ({ checked: free.check(graph) })),
      );
      expect(tight.metrics.batchesSplit - before).toBe(1);
      for (let g = 0; g < 3; g++) {
        expect(split[g]!.error).toBeUndefined();
        expect(split[g]!.usage.forwardPasses).toBe(1);
        for (const name of ["logits", "h1"]) {
          const a = split[g]!.saves[name]!.data as Float32Array;
          const b = whole[g]!.saves[name]!.data as Float32Array;
          let max = 0;
          for (let i = 0; i < a.length; i++)
            max = Math.max(max, Math.abs(a[i]! - b[i]!));
          expect(max, `graph ${g} ${name}`).toBeLessThan(1e-5);
        }
      }
      // The graph that cannot fit alone is not run, and says why.
      expect(split[3]!.error).toBeInstanceOf(MemoryBudgetError);
      expect(split[3]!.error!.message).toMatch(
        /^graph 3: its batch would need about .* of activations, and .* of the memory budget of .* is left/,
      );
      expect(split[3]!.usage.forwardPasses).toBe(0);
      const { current, peak } = tight.metrics.memory;
      expect(current.weights).toBe(tight.weightBytes);
      expect(current.sessions).toBe(tight.cachedBytes);
      expect(current.activations).toBe(0); // nothing in flight
      expect(peak.activations).toBeGreaterThan(0);
      // What the batches held stayed within the room the budget left them.
      expect(peak.activations).toBeLessThanOrEqual(
        budget - tight.weightBytes - sessions,
      );
      expect(peak.total).toBeGreaterThanOrEqual(
        current.weights + peak.activations,
      );
    } finally {
      await Promise.all([free.close(), tight.close()]);
    }
  });
});
