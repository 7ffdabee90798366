import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildActivationPatchingGraph,
  buildForwardGraph,
  buildNeuronsGraph,
  buildPatchingSweepGraph,
  hashGraph,
  type Envoy,
  type Graph,
  type Model,
  type TextTokenizer,
} from "@loupe/graph";
import { Loupe } from "../client/loupe.ts";
import { LocalModels, type LocalModelEngine } from "../local/local-models.ts";
import type { LoupeScript } from "../scripts/loupe-script.ts";

// The examples write their interventions in the script, for its reader; the
// gallery's seed, the engine's checks against PyTorch and the golden files
// build the same graphs with @loupe/graph's example builders, the one
// definition. Each script runs here, with the real engine, and the graphs it
// ran must be the builders', hash for hash: the two cannot drift apart.

const root = path.resolve(import.meta.dirname, "..", "..", "..", "..");
const CLEAN = "The Colosseum is located in the city of";
const CORRUPTED = "The Louvre is located in the city of";

/** Local models that record every graph they run. */
class RecordingModels extends LocalModels {
  readonly graphs: Graph[] = [];
  override async engine(file: string): Promise<LocalModelEngine> {
    const engine = await super.engine(file);
    return new Proxy(engine, {
      get: (target, key) => {
        if (key === "run")
          return (...args: Parameters<LocalModelEngine["run"]>) => {
            this.graphs.push(graphOf(args[0]));
            return target.run(...args);
          };
        const value = Reflect.get(target, key) as unknown;
        return typeof value === "function"
          ? (value as (...a: unknown[]) => unknown).bind(target)
          : value;
      },
    });
  }
}

/** The graph of whatever form of run input the SDK hands the engine. */
function graphOf(input: Parameters<LocalModelEngine["run"]>[0]): Graph {
  if ("checked" in input) return input.checked.graph;
  return "nodes" in input ? input : input.graph;
}

let lm: Model<Envoy>;
let tokenizer: TextTokenizer;
const opened: Loupe[] = [];

/** Runs an example here; what it printed and the graphs it ran. */
async function runExample(name: string) {
  const models = new RecordingModels();
  const loupe = new Loupe(
    {
      url: "http://127.0.0.1:9",
      modelFiles: { "facts-gpt2": path.join(root, "models/facts/model.onnx") },
    },
    models,
  );
  opened.push(loupe);
  const file = path.join(root, "examples", `${name}.ts`);
  const script = ((await import(file)) as { default: LoupeScript }).default;
  const lines: string[] = [];
  await script({
    loupe,
    remote: false,
    trace: { remote: false },
    log: (line) => lines.push(line),
  });
  return { lines, hashes: models.graphs.map(hashGraph) };
}

beforeAll(async () => {
  const loupe = new Loupe({
    url: "http://127.0.0.1:9",
    modelFiles: { "facts-gpt2": path.join(root, "models/facts/model.onnx") },
  });
  opened.push(loupe);
  const model = await loupe.model<Envoy>("facts-gpt2");
  lm = model.graphs;
  tokenizer = await model.tokenizer();
});
afterAll(async () => {
  for (const loupe of opened) await loupe.close();
});

describe("the examples run the builders' graphs", () => {
  it("01-neurons: buildForwardGraph, then buildNeuronsGraph", async () => {
    const { lines, hashes } = await runExample("01-neurons");
    const layer = lm.transformer!.h![1]!;
    expect(hashes).toEqual(
      [
        buildForwardGraph(lm, { prompt: CORRUPTED }),
        buildNeuronsGraph(lm, {
          prompt: CORRUPTED,
          module: layer.mlp!.c_proj!,
          neurons: [89, 349, 422, 458],
          value: 10,
        }),
      ].map(hashGraph),
    );
    expect(lines.at(-1)).toBe('  after:  " France" (p = 0.918)');
  });

  it("04-activation-patching: buildForwardGraph, then buildActivationPatchingGraph", async () => {
    const { lines, hashes } = await runExample("04-activation-patching");
    expect(hashes).toEqual(
      [
        buildForwardGraph(lm, { prompt: CORRUPTED }),
        buildActivationPatchingGraph(lm, {
          layer: lm.transformer!.h![2]!,
          from: { prompt: CLEAN, position: 1 },
          into: { prompt: CORRUPTED, position: 1 },
        }),
      ].map(hashGraph),
    );
    expect(lines.at(-1)).toBe('  after:  " Rome" (p = 0.999)');
  });

  it("patching-sweep: buildPatchingSweepGraph, the gallery's sweep", async () => {
    const { lines, hashes } = await runExample("patching-sweep");
    const h = lm.transformer!.h!;
    const sweep = buildPatchingSweepGraph(lm, {
      tokenizer,
      from: { prompt: CLEAN, save: "clean" },
      into: { prompt: CORRUPTED, save: "corrupted" },
      answers: [" Rome", " Paris"],
      layers: Array.from({ length: 6 }, (_, i) => h[i]!),
      site: (layer) => layer.output[0]!,
      save: "logit_diff[layer,position]",
    });
    expect(hashes).toEqual([hashGraph(sweep)]);
    expect(lines.at(-1)).toBe(
      '  strongest patch: layer 2, position 1 (" Louvre"): 18.045',
    );
  });
});
