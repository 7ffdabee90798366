/**
 * Loupe's engine in-process on the 1.1B model, as a contender of the scale
 * phase: the export imported as `loupe models import` imports it (the
 * manifest written beside model.onnx, its hash over model.onnx.data too),
 * loaded with loadModelFiles (weights mapped from model.onnx.data, never
 * read into the process), the same tasks as PyTorch with hooks on the same
 * batch (llama-batch.ts), the same threads.
 *
 *   node --import tsx bench/scale/loupe-llama.ts MODEL_DIR [--rounds N] [--threads T] [--dump DIR]
 *
 * Prints a ContenderReport (with loadSeconds) on stdout and phase markers on
 * stderr; with --dump, writes DIR/loupe-engine.safetensors.
 */
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import {
  createModel,
  toSafetensors,
  type Envoy,
  type Graph,
  type Model,
  type SavedTensor,
  type TensorValue,
} from "@loupe/graph";
import { importOnnxModel, loadModelFiles, manifestPathOf } from "@loupe/engine";
import {
  markPhase,
  type ContenderReport,
} from "../contenders/contender-report.ts";
import { peakRssOf } from "../platform/process-memory.ts";
import { moduleAt } from "../suites/gpt2-graphs.ts";
import {
  SCALE_LAYERS,
  SCALE_NEW_TOKENS,
  SCALE_PATCH_LAYER,
  scaleTokenRows,
  type ScaleTask,
} from "./llama-batch.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: "string", default: "3" },
    threads: { type: "string", default: "2" },
    dump: { type: "string" },
  },
});
const [modelDir] = positionals;
if (!modelDir)
  throw new Error(
    "usage: loupe-llama.ts MODEL_DIR [--rounds N] [--threads T] [--dump DIR]",
  );
const rounds = Number(values.rounds);
const threads = Number(values.threads);
const onnxPath = path.join(modelDir, "model.onnx");

markPhase("load");
const loadStarted = performance.now();
if (!fs.existsSync(manifestPathOf(onnxPath))) {
  // What `loupe models import MODEL_DIR/model.onnx` writes.
  const { manifest, unresolved } = await importOnnxModel(
    new Uint8Array(fs.readFileSync(onnxPath)),
    "llama-1b",
    { externalDataDir: modelDir },
  );
  fs.writeFileSync(
    manifestPathOf(onnxPath),
    `${JSON.stringify({ format: "loupe.imported-model", version: 1, manifest, tokenizer: null, unresolved }, null, 2)}\n`,
  );
}
const engine = await loadModelFiles(onnxPath, {
  sessionOptions: { intraOpNumThreads: threads, interOpNumThreads: 1 },
});
const loadSeconds = (performance.now() - loadStarted) / 1000;

const lm = createModel(engine.manifest);
const rows = scaleTokenRows();
const half = rows.length / 2;
const lastLogits = (m: Model) =>
  m.output.item("logits").get(":", -1, ":").save("out");

const graphs: Record<ScaleTask, Graph> = {
  forward: lm.trace({ tokens: rows }, () => lastLogits(lm)),
  patching: lm.trace((tracer) => {
    const mlp = moduleAt(lm, `model.layers.${SCALE_PATCH_LAYER}.mlp`);
    let clean: TensorValue | undefined;
    tracer.invoke({ tokens: rows.slice(0, half) }, () => {
      clean = mlp.output.get(":", -1, ":");
    });
    tracer.invoke({ tokens: rows.slice(half) }, () => {
      mlp.output.set([":", -1, ":"], clean!);
      lastLogits(lm);
    });
  }),
  lens: lm.trace({ tokens: rows }, () => {
    const norm = moduleAt(lm, "model.norm");
    const head = moduleAt(lm, "lm_head");
    for (let i = 0; i < SCALE_LAYERS; i++) {
      const layer: Envoy = moduleAt(lm, `model.layers.${i}`);
      head
        .call(norm.call(layer.output[0]!.get(":", -1, ":")))
        .topk(5)
        .indices.save(`layer${i}`);
    }
  }),
  generate: lm.generate(
    { tokens: rows },
    { maxNewTokens: SCALE_NEW_TOKENS },
    () => {},
  ),
};

/** What each task dumps, named and shaped as llama-batch.ts says. */
function outputOf(
  task: ScaleTask,
  saves: Readonly<Record<string, SavedTensor>>,
): SavedTensor {
  if (task === "forward" || task === "patching") return saves.out!;
  if (task === "lens") {
    const layers = Array.from(
      { length: SCALE_LAYERS },
      (_, i) => saves[`layer${i}`]!,
    );
    const size = layers[0]!.data.length;
    const data = new BigInt64Array(size * SCALE_LAYERS);
    layers.forEach((l, i) => data.set(l.data as BigInt64Array, i * size));
    return { dtype: "int64", shape: [SCALE_LAYERS, ...layers[0]!.shape], data };
  }
  const data = new BigInt64Array(rows.length * SCALE_NEW_TOKENS);
  rows.forEach((_, r) =>
    data.set(
      saves[`generated/0/0/${r}`]!.data as BigInt64Array,
      r * SCALE_NEW_TOKENS,
    ),
  );
  return { dtype: "int64", shape: [rows.length, SCALE_NEW_TOKENS], data };
}

const tasks: Record<string, { seconds: number[]; checksum: number }> = {};
const outputs: Record<string, SavedTensor> = {};
for (const task of Object.keys(graphs) as ScaleTask[]) {
  markPhase(task);
  const output = outputOf(task, (await engine.run(graphs[task])).saves); // warm-up
  outputs[task] = output;
  const seconds: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const started = performance.now();
    await engine.run(graphs[task]);
    seconds.push((performance.now() - started) / 1000);
  }
  let checksum = 0;
  for (const x of output.data) checksum += Number(x);
  tasks[task] = { seconds, checksum };
}
markPhase("end");
await engine.close();

if (values.dump) {
  fs.mkdirSync(values.dump, { recursive: true });
  fs.writeFileSync(
    path.join(values.dump, "loupe-engine.safetensors"),
    toSafetensors(outputs),
  );
}
const report: ContenderReport & { loadSeconds: number } = {
  peer: "loupe-engine",
  threads,
  versions: { node: process.version },
  loadSeconds,
  peakRssBytes: peakRssOf(process.pid)!,
  tasks,
};
console.log(JSON.stringify(report));
