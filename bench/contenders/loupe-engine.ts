/**
 * Loupe's engine in-process, as a contender of the comparison: its own
 * process (so its peak memory is its own, like each Python peer's), the same
 * model file, batch, tasks and thread count as bench/peers/peers_bench.py.
 *
 *   node --import tsx bench/contenders/loupe-engine.ts MODEL.onnx [--rounds N] [--threads T] [--dump DIR]
 *
 * Prints one ContenderReport on stdout, and a phase marker on stderr as each
 * task starts (PHASE_MARKER); with --dump, writes each task's output
 * to DIR/loupe-engine.safetensors (the lens's layers stacked to [12, 32, 5],
 * as the peers save them).
 */
import fs from "node:fs";
import path from "node:path";
import { createModel, type SavedTensor } from "@loupe/graph";
import { loadModelFiles } from "@loupe/engine";
import { comparisonGraphs, tokenRows } from "../suites/gpt2-graphs.ts";
import { peakRssOf, residentBytes } from "../platform/process-memory.ts";
import {
  COMPARISON_TASKS,
  markPhase,
  outputChecksum,
  taskOutput,
  type ContenderReport,
  type EngineProfile,
} from "./contender-report.ts";
import { parseContenderArgs } from "./parse-contender-args.ts";
import { timeRounds } from "./time-rounds.ts";
import { writeContenderDump } from "./contender-dump.ts";

const args = parseContenderArgs("loupe-engine.ts", "MODEL.onnx", 10);
const modelFile = args.model;
const { rounds } = args;
const { threads } = args;

// As a script loads a model it has imported (`loupe models import` wrote the
// manifest beside it; createLoupe({ modelFiles }) reads both the same way).
// loadModelFiles never holds the model file whole (GPT-2 small: 650 MB).
const memory: Record<string, number> = { start: residentBytes() };
const engine = await loadModelFiles(modelFile, {
  sessionOptions: { intraOpNumThreads: threads, interOpNumThreads: 1 },
});
const { manifest } = engine;
memory.loaded = residentBytes();
const graphs = comparisonGraphs(createModel(manifest), tokenRows());

const tasks: Record<string, { seconds: number[]; checksum: number }> = {};
const profile: Record<string, EngineProfile> = {};
const outputs: Record<string, SavedTensor> = {};
for (const task of COMPARISON_TASKS) {
  markPhase(task);
  const graph = graphs[task];
  outputs[task] = taskOutput(task, (await engine.run(graph)).saves); // warm-up
  const before = { ...engine.metrics.runSeconds };
  const seconds = await timeRounds(rounds, () => engine.run(graph));
  tasks[task] = { seconds, checksum: outputChecksum(outputs[task]) };
  const after = engine.metrics.runSeconds;
  profile[task] = {
    piece: (after.piece - before.piece) / Math.max(1, rounds),
    segment: (after.segment - before.segment) / Math.max(1, rounds),
    backward: (after.backward - before.backward) / Math.max(1, rounds),
  };
}
markPhase("end");
memory.ran = residentBytes();
await engine.close();

writeContenderDump(args.dump, "loupe-engine", outputs);
const report: ContenderReport = {
  peer: "loupe-engine",
  threads,
  versions: {
    node: process.version,
    "onnxruntime-node": (
      JSON.parse(
        fs.readFileSync(
          path.join(
            import.meta.dirname,
            "..",
            "..",
            "node_modules",
            "onnxruntime-node",
            "package.json",
          ),
          "utf8",
        ),
      ) as { version: string }
    ).version,
  },
  // VmHWM, not resourceUsage().maxRSS: Linux carries that over exec from
  // the forking parent (the benchmark's process), see peers_bench.py.
  peakRssBytes: peakRssOf(process.pid)!,
  memory,
  profile,
  tasks,
};
console.log(JSON.stringify(report));
