/**
 * Loupe's platform on the 1.1B model, as a contender of the scale phase: a
 * whole Loupe brought up (PostgreSQL, Temporal, the web app, a worker
 * hosting only the bundled model), the export hosted while it runs with
 * `loupe models host --wait` (the workers read model.onnx and map
 * model.onnx.data; nothing is uploaded), then each task run remotely with
 * the SDK, end to end, and the model unhosted. The worker process's Pss is
 * sampled throughout, by phase: that is the memory this row reports (the
 * acceptance bound: 1.3x the weights plus 600 MB).
 *
 *   node --import tsx bench/scale/platform-llama.ts MODEL_DIR [--rounds N] [--threads T] [--dump DIR]
 *
 * Prints a ContenderReport with `workerPss` on stdout; with --dump, writes
 * DIR/loupe-platform.safetensors. --threads is the worker's: its engine uses
 * ONNX Runtime's default (every core), as a deployed worker would.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { createModel, type SavedTensor } from "@loupe/graph";
import { createLoupe } from "@loupe/sdk";
import {
  outputChecksum,
  type ContenderReport,
} from "../contenders/contender-report.ts";
import { writeContenderDump } from "../contenders/contender-dump.ts";
import { timeRounds } from "../contenders/time-rounds.ts";
import { PeakPssSampler } from "../memory/peak-pss-sampler.ts";
import { bringUpBenchStack } from "../platform/bench-stack.ts";
import { peakRssOf } from "../platform/process-memory.ts";
import { ensureScaleModelImported, SCALE_MODEL_NAME } from "./import-llama.ts";
import { scaleTokenRows, SCALE_TASKS, type ScaleTask } from "./llama-batch.ts";
import { scaleGraphs, scaleOutput } from "./scale-graphs.ts";
import { parseContenderArgs } from "../contenders/parse-contender-args.ts";

const args = parseContenderArgs("platform-llama.ts", "MODEL_DIR", 3);
const modelDir = args.model;
const { rounds } = args;
const root = path.resolve(import.meta.dirname, "..", "..");
const log = (line: string) => process.stderr.write(`${line}\n`);

const onnxPath = path.resolve(await ensureScaleModelImported(modelDir));
const stack = await bringUpBenchStack({
  batching: "on",
  hostScope: true,
  log,
});
const sampler = new PeakPssSampler(stack.workerPid, { phase: "idle" }).start();
/** The `loupe` CLI, as an administrator would run it (asynchronously: the sampler's event loop keeps turning). */
async function cli(...args: string[]): Promise<void> {
  const child = spawn(
    process.execPath,
    [path.join(root, "packages", "sdk", "bin", "loupe.mjs"), ...args],
    {
      cwd: root,
      env: {
        ...process.env,
        LOUPE_URL: stack.webUrl,
        LOUPE_API_KEY: stack.apiKey,
      },
    },
  );
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0)
    throw new Error(`loupe ${args.join(" ")} failed (exit ${code}): ${output}`);
  log(output.trim());
}
let stopped = false;
try {
  sampler.mark("load");
  const hostStarted = performance.now();
  await cli("models", "host", onnxPath, "--wait");
  const loadSeconds = (performance.now() - hostStarted) / 1000;

  const loupe = createLoupe({ url: stack.webUrl, apiKey: stack.apiKey });
  const lm = await loupe.model(SCALE_MODEL_NAME);
  const rows = scaleTokenRows();
  const graphs = scaleGraphs(createModel(lm.manifest), rows);
  const tasks: Record<string, { seconds: number[]; checksum: number }> = {};
  const outputs: Record<string, SavedTensor> = {};
  const call = async (task: ScaleTask) => {
    const result = await lm.run(graphs[task], { remote: true, reuse: false });
    return Object.fromEntries(
      Object.entries(result.saves).map(([k, t]) => [k, t.saved]),
    );
  };
  for (const task of SCALE_TASKS) {
    sampler.mark(task);
    const output = scaleOutput(task, await call(task), rows.length);
    outputs[task] = output;
    const seconds = await timeRounds(rounds, () => call(task));
    tasks[task] = { seconds, checksum: outputChecksum(output) };
  }
  sampler.mark("unhost");
  await cli("models", "unhost", SCALE_MODEL_NAME);
  const workerPss = sampler.stop();
  stopped = true;

  writeContenderDump(args.dump, "loupe-platform", outputs);
  const report: ContenderReport & {
    loadSeconds: number;
    workerPss: { peakBytes: number; byPhase: Record<string, number> };
  } = {
    peer: "loupe-platform",
    threads: args.threads,
    versions: { node: process.version },
    loadSeconds,
    peakRssBytes: peakRssOf(stack.workerPid) ?? 0,
    tasks,
    workerPss: {
      peakBytes: workerPss.peakBytes,
      byPhase: { ...workerPss.byPhase },
    },
  };
  console.log(JSON.stringify(report));
} finally {
  if (!stopped) sampler.stop();
  await stack.stop();
}
