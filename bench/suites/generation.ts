import path from "node:path";
import {
  constant,
  createModel,
  generatedIds,
  type Envoy,
  type Graph,
} from "@loupe/graph";
import { loadModelFiles, type LoupeEngine } from "@loupe/engine";
import type { Suite, SuiteRun, TaskStats } from "../suite.ts";
import { withCounters } from "./engine-counters.ts";

const ROUNDS = 5;
const CALLS = 2;
const NEW_TOKENS = 40;
const PROMPT = "The Louvre is located in the city of";
const BATCHES = [1, 8] as const;

const row = (rows: number, cache: boolean, steered: boolean) =>
  `${rows} row${rows === 1 ? "" : "s"}, ${cache ? "key/value cache" : "no cache (prefix recomputed)"}, ${steered ? "steering at every step" : "no intervention"}`;

/**
 * Generation on the bundled model (models/facts: 6 layers, d 128, exported
 * with a key/value cache): tokens per second with and without the cache, and
 * with an intervention at every step against none, measured side by side.
 */
export const generationSuite: Suite = {
  name: "Generation (packages/engine): the bundled model, greedy, onnxruntime-node CPU",
  note: `Greedy generation of ${NEW_TOKENS} new tokens after "${PROMPT}" (8 tokens) on the bundled model (models/facts/model.onnx: 6 layers, d 128, vocabulary 1302, exported with a key/value cache), for 1 row and for 8 rows (the same prompt, so every row makes ${NEW_TOKENS} tokens). With the cache, step 0 reads the prompt and every later step feeds one token per row; without it (\`kvCache: false\`), every step recomputes the whole sequence. Steering: \`transformer.h.2.output[0] += v\` (a constant of 128 values) at every step, on every position a step feeds. Rows are measured in ${ROUNDS} interleaved rounds of ${CALLS} timed calls after a warm-up call; tokens per second = rows x ${NEW_TOKENS} / median seconds.`,
  rounds: ROUNDS,
  setup: setupGenerationSuite,
};

async function setupGenerationSuite(): Promise<SuiteRun> {
  const engine: LoupeEngine = await loadModelFiles(
    path.resolve(
      import.meta.dirname,
      "..",
      "..",
      "models",
      "facts",
      "model.onnx",
    ),
  );
  if (!engine.hasKvCache)
    throw new Error("the bundled model's export has no key/value cache");
  const lm = createModel<Envoy>(engine.manifest);
  const v = Array.from({ length: 128 }, (_, j) => 0.05 * Math.sin(j));
  const graph = (rows: number, cache: boolean, steered: boolean): Graph =>
    lm.generate(
      Array(rows).fill(PROMPT) as string[],
      { maxNewTokens: NEW_TOKENS, kvCache: cache },
      () => {
        if (!steered) return;
        const h = lm.transformer!.h![2]!.output[0]!;
        h.set(h.add(constant(v, "float32")));
      },
    );
  const tasks: Record<string, ReturnType<typeof withCounters>> = {};
  const graphs = new Map<string, Graph>();
  for (const rows of BATCHES)
    for (const cache of [true, false])
      for (const steered of [false, true]) {
        const label = row(rows, cache, steered);
        const g = graph(rows, cache, steered);
        graphs.set(label, g);
        tasks[label] = withCounters(engine, {
          iterations: CALLS,
          warmup: 1,
          fn: async () => {
            const { saves } = await engine.run(g);
            const ids = generatedIds(saves)[0]!;
            if (ids.length !== rows || ids.some((r) => r.length !== NEW_TOKENS))
              throw new Error(
                `${label}: expected ${rows} rows of ${NEW_TOKENS} tokens`,
              );
          },
        });
      }
  // The same tokens with and without the cache (a check, not a timing).
  for (const rows of BATCHES)
    for (const steered of [false, true]) {
      const [a, b] = await Promise.all(
        [true, false].map(async (cache) =>
          JSON.stringify(
            generatedIds(
              (await engine.run(graphs.get(row(rows, cache, steered))!)).saves,
            ),
          ),
        ),
      );
      if (a !== b)
        throw new Error(
          `${row(rows, true, steered)}: cached and recomputed generation differ`,
        );
    }
  return {
    tasks,
    summary: (stats) => summarize(stats),
    teardown: () => engine.close(),
  };
}

function summarize(stats: ReadonlyMap<string, TaskStats>): string {
  const tps = (rows: number, cache: boolean, steered: boolean) =>
    (rows * NEW_TOKENS) / (stats.get(row(rows, cache, steered))!.median / 1000);
  const lines = [
    "| rows | tokens/s, cache | tokens/s, no cache | cache speedup | tokens/s, cache + steering every step | steering's cost (cache) | steering's cost (no cache) |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const rows of BATCHES) {
    const [c, n, cs, ns] = [
      tps(rows, true, false),
      tps(rows, false, false),
      tps(rows, true, true),
      tps(rows, false, true),
    ];
    const pct = (plain: number, steered: number) =>
      `${(100 * (plain / steered - 1)).toFixed(0)}% more time`;
    lines.push(
      `| ${rows} | ${c.toFixed(0)} | ${n.toFixed(0)} | ${(c / n).toFixed(2)}x | ${cs.toFixed(0)} | ${pct(c, cs)} | ${pct(n, ns)} |`,
    );
  }
  return [
    lines.join("\n"),
    "",
    "Cached and recomputed generation made the same tokens for every row, steered and not (checked before measuring).",
  ].join("\n");
}
