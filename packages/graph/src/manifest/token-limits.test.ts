import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { manifestSchema } from "./manifest-schema.ts";
import { tokenLimits } from "./token-limits.ts";

const read = (file: string) => {
  const json = JSON.parse(readFileSync(file, "utf8")) as { manifest?: unknown };
  return manifestSchema.parse(json.manifest ?? json);
};
const root = path.resolve(import.meta.dirname, "..", "..", "..", "..");

describe("tokenLimits", () => {
  it("reads the vocabulary from the logits and the positions from the table position_ids index", () => {
    // The bundled model: config.json has vocab_size 1302 and n_positions 64.
    expect(
      tokenLimits(
        read(path.join(root, "models", "facts", "model.manifest.json")),
      ),
    ).toEqual({ vocabSize: 1302, maxPositions: 64 });
  });

  it("finds GPT-2's position table by name when the export computes position ids itself", () => {
    expect(
      tokenLimits(
        read(
          path.join(
            root,
            "packages",
            "graph",
            "fixtures",
            "gpt2-small.manifest.json",
          ),
        ),
      ),
    ).toEqual({ vocabSize: 50257, maxPositions: 1024 });
  });

  it("reads an encoder's vocabulary from its token table (no logits: all-MiniLM-L6-v2's last_hidden_state)", () => {
    // Its output's last dimension is the width, 384; the vocabulary is 30522.
    expect(
      tokenLimits(
        read(path.join(root, "models", "minilm", "model.manifest.json")),
      ),
    ).toEqual({ vocabSize: 30522, maxPositions: 512 });
  });

  it("gives no position limit for a model without a position table", () => {
    const manifest = read(
      path.join(root, "models", "facts", "model.manifest.json"),
    );
    const rotary = {
      ...manifest,
      modules: manifest.modules.filter((m) => m.path !== "transformer.wpe"),
    };
    expect(tokenLimits(rotary)).toEqual({ vocabSize: 1302 });
  });
});
