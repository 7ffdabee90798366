import fs from "node:fs";
import path from "node:path";
import { createModel, type Envoy } from "@loupe/graph";
import { describe, expect, it } from "vitest";
import { LoupeEngine } from "../engine.ts";
import { buildSyntheticModel } from "../testing/synthetic-model.ts";
import { matchesModulePattern } from "./decide-tuples.ts";
import { importOnnxModel } from "./import-onnx-model.ts";

/**
 * Tuple-ness (issue 20, finding 1). The synthetic model is named like GPT-2
 * (`transformer.h.N`, `lm_head`) but its blocks return plain tensors, as
 * transformers 5's GPT-2 blocks do: the export cannot tell, so the import
 * says what it assumed, and an override sets it.
 */
const synthetic = buildSyntheticModel({ layers: 2, width: 8, vocab: 16 });
const fixtures = path.resolve(import.meta.dirname, "..", "..", "fixtures");
const callOf = (
  m: Awaited<ReturnType<typeof importOnnxModel>>["manifest"],
  p: string,
) => m.modules.find((x) => x.path === p)!.calls[0]!;

describe("whether modules return tuples", () => {
  it("says when it assumed it from the architecture's profile, by pattern", async () => {
    const { manifest, assumptions } = await importOnnxModel(synthetic, "syn");
    expect(callOf(manifest, "transformer.h.0").tuple).toBe(true);
    expect(assumptions.map((a) => [a.modules, a.tuple])).toEqual([
      ["transformer", true],
      ["transformer.h.*", true],
      ["*", false],
    ]);
    expect(assumptions[1]!.reason).toContain(
      "and the export cannot tell (plain tensors: --tuple 'transformer.h.*=false')",
    );
  });

  it("takes an override: blocks that return a tensor read as .output, and run", async () => {
    const { manifest, assumptions } = await importOnnxModel(synthetic, "syn", {
      tuple: { "transformer.h.*": false, transformer: false },
    });
    expect(callOf(manifest, "transformer.h.0").tuple).toBe(false);
    expect(callOf(manifest, "transformer.h.1").tuple).toBe(false);
    expect(callOf(manifest, "transformer").tuple).toBe(false);
    expect(assumptions.map((a) => a.modules)).toEqual(["*"]);
    const engine = await LoupeEngine.load(synthetic, manifest);
    try {
      const lm = createModel<Envoy>(manifest);
      const { saves } = await engine.run(
        lm.trace({ tokens: [[1, 2, 3]] }, () => {
          lm.transformer!.h![0]!.output.save("h0");
        }),
      );
      expect(saves.h0!.shape).toEqual([1, 3, 8]);
    } finally {
      await engine.close();
    }
  });

  it("reads it from the export where it can: a key/value export's attention hands out its cache", async () => {
    const { manifest, assumptions } = await importOnnxModel(
      fs.readFileSync(path.join(fixtures, "gpt2-tiny-kv.onnx")),
      "kv",
    );
    expect(callOf(manifest, "transformer.h.0.attn").tuple).toBe(true);
    expect(callOf(manifest, "transformer.h.0").tuple).toBe(true);
    // The blocks around it pass the cache on in ways the export does not
    // show: their tuples are still the profile's assumption.
    expect(assumptions.map((a) => a.modules)).toEqual([
      "transformer",
      "transformer.h.*",
      "*",
    ]);
  });

  it("matches module patterns segment by segment", () => {
    expect(matchesModulePattern("transformer.h.*", "transformer.h.11")).toBe(
      true,
    );
    expect(
      matchesModulePattern("transformer.h.*", "transformer.h.1.attn"),
    ).toBe(false);
    expect(matchesModulePattern("transformer.**", "transformer.h.1.attn")).toBe(
      true,
    );
    expect(matchesModulePattern("transformer.h.*", "transformerXh.1")).toBe(
      false,
    );
  });
});
