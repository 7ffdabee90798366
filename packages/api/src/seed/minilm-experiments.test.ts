import { readFileSync } from "node:fs";
import path from "node:path";
import { loadTokenizer, manifestSchema, type Manifest } from "@loupe/graph";
import { describe, expect, it } from "vitest";
import { ATTENTION_TITLE, minilmExperiments } from "./minilm-experiments.ts";

const dir = path.resolve(import.meta.dirname, "../../../../models/minilm");
const manifest = manifestSchema.parse(
  (
    JSON.parse(readFileSync(path.join(dir, "model.manifest.json"), "utf8")) as {
      manifest: unknown;
    }
  ).manifest,
);
const tokenizer = loadTokenizer(
  JSON.parse(readFileSync(path.join(dir, "tokenizer.json"), "utf8")),
);

describe("minilmExperiments", () => {
  it("saves every layer's softmax inside self-attention, on [CLS] sentence [SEP]", () => {
    const [demo] = minilmExperiments(manifest, tokenizer);
    expect(demo!.title).toBe(ATTENTION_TITLE);
    const [trace] = demo!.graph.traces;
    const input = trace!.invokes[0]!.input;
    expect(input).toMatchObject({ kind: "tokens" });
    const ids = input?.kind === "tokens" ? input.ids[0]! : [];
    expect(tokenizer.decode([ids[0]!, ids.at(-1)!])).toBe("[CLS] [SEP]");
    const reads = demo!.graph.nodes.filter((n) => n.op === "read");
    expect(reads).toMatchObject(
      Array.from({ length: 6 }, (_, l) => ({
        module: `encoder.layer.${l}.attention.self`,
        slot: "source",
        source: "softmax_0",
      })),
    );
    const saves = demo!.graph.nodes.filter((n) => n.op === "save");
    expect(saves.map((n) => n.name)).toEqual(
      Array.from(
        { length: 6 },
        (_, l) => `layer${l}.attention[batch,head,query,key]`,
      ),
    );
  });

  it("names what is missing when the manifest has no BERT layers", () => {
    const bare: Manifest = {
      ...manifest,
      modules: manifest.modules.filter((m) => !m.path.includes("encoder")),
    };
    expect(() => minilmExperiments(bare, tokenizer)).toThrow(
      "all-minilm-l6-v2: expected modules named encoder.layer.<n>.attention.self, found none",
    );
  });
});
