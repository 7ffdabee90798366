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
import path from "node:path";
import { createModel, type SavedTensor } from "@loupe/graph";
import { loadModelFiles } from "@loupe/engine";
import {
  markPhase,
  outputChecksum,
  type ContenderReport,
} from "../contenders/contender-report.ts";
import { writeContenderDump } from "../contenders/contender-dump.ts";
import { timeRounds } from "../contenders/time-rounds.ts";
import { peakRssOf } from "../platform/process-memory.ts";
import { ensureScaleModelImported } from "./import-llama.ts";
import { scaleTokenRows, type ScaleTask } from "./llama-batch.ts";
import { scaleGraphs, scaleOutput } from "./scale-graphs.ts";
import { parseContenderArgs } from "../contenders/parse-contender-args.ts";

const args = parseContenderArgs("loupe-llama.ts", "MODEL_DIR", 3);
const modelDir = args.model;
const { rounds } = args;
const { threads } = args;
const onnxPath = path.join(modelDir, "model.onnx");

markPhase("load");
const loadStarted = performance.now();
await ensureScaleModelImported(modelDir);
const engine = await loadModelFiles(onnxPath, {
  sessionOptions: { intraOpNumThreads: threads, interOpNumThreads: 1 },
});
const loadSeconds = (performance.now() - loadStarted) / 1000;

const rows = scaleTokenRows();
const graphs = scaleGraphs(createModel(engine.manifest), rows);
const outputOf = (task: ScaleTask, saves: Record<string, SavedTensor>) =>
  scaleOutput(task, saves, rows.length);

const tasks: Record<string, { seconds: number[]; checksum: number }> = {};
const outputs: Record<string, SavedTensor> = {};
for (const task of Object.keys(graphs) as ScaleTask[]) {
  markPhase(task);
  const output = outputOf(task, (await engine.run(graphs[task])).saves); // warm-up
  outputs[task] = output;
  const seconds = await timeRounds(rounds, () => engine.run(graphs[task]));
  tasks[task] = { seconds, checksum: outputChecksum(output) };
}
markPhase("end");
await engine.close();

writeContenderDump(args.dump, "loupe-engine", outputs);
const report: ContenderReport & { loadSeconds: number } = {
  peer: "loupe-engine",
  threads,
  versions: { node: process.version },
  loadSeconds,
  peakRssBytes: peakRssOf(process.pid)!,
  tasks,
};
console.log(JSON.stringify(report));
