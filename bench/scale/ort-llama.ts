/**
 * onnxruntime-node alone on the 1.1B model, as a contender of the scale
 * phase: the limit of what Loupe's engine can do with this export. One
 * InferenceSession on model.onnx (its weights read from model.onnx.data by
 * onnxruntime), the same threads and session options as Loupe's engine (no
 * spin-waiting), no Loupe. It runs the tasks that need no hook: the plain
 * forward and greedy generation with the key/value cache (the prompt in one
 * call with empty past tensors, then one token per call, each call's
 * presents fed back as the next call's past).
 *
 *   node --import tsx bench/scale/ort-llama.ts MODEL_DIR [--rounds N] [--threads T] [--dump DIR]
 *
 * Prints a ContenderReport on stdout and phase markers on stderr; with
 * --dump, writes DIR/onnxruntime-node.safetensors (see llama-batch.ts).
 */
import path from "node:path";
import * as ort from "onnxruntime-node";
import type { SavedTensor } from "@loupe/graph";
import {
  markPhase,
  outputChecksum,
  type ContenderReport,
} from "../contenders/contender-report.ts";
import { writeContenderDump } from "../contenders/contender-dump.ts";
import { timeRounds } from "../contenders/time-rounds.ts";
import { peakRssOf } from "../platform/process-memory.ts";
import {
  SCALE_LAYERS,
  SCALE_NEW_TOKENS,
  scaleTokenRows,
} from "./llama-batch.ts";
import { parseContenderArgs } from "../contenders/parse-contender-args.ts";
import { lastPosition } from "../contenders/last-position.ts";

const args = parseContenderArgs("ort-llama.ts", "MODEL_DIR", 3);
const modelDir = args.model;
const { rounds } = args;
const { threads } = args;

const loadStarted = performance.now();
const session = await ort.InferenceSession.create(
  path.join(modelDir, "model.onnx"),
  {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    extra: { session: { intra_op: { allow_spinning: "0" } } },
  },
);
const loadSeconds = (performance.now() - loadStarted) / 1000;

const KV_HEADS = 4;
const HEAD_DIM = 64;
const pastNames = Array.from({ length: SCALE_LAYERS }, (_, i) => [
  `past_key_values.${i}.key`,
  `past_key_values.${i}.value`,
]).flat();
const presentNames = pastNames.map((n) =>
  n.replace("past_key_values.", "present."),
);
const int64 = (values: number[], dims: number[]) =>
  new ort.Tensor(
    "int64",
    BigInt64Array.from(values, (v) => BigInt(v)),
    dims,
  );

/** One call: `rows` new tokens per row after `past` (null: empty past tensors). */
async function step(
  rows: number[][],
  past: ort.Tensor[] | null,
  pastLength: number,
): Promise<{ logits: ort.Tensor; presents: ort.Tensor[] }> {
  const batch = rows.length;
  const tokens = rows[0]!.length;
  const feeds: Record<string, ort.Tensor> = {
    input_ids: int64(rows.flat(), [batch, tokens]),
    attention_mask: int64(
      Array<number>(batch * (pastLength + tokens)).fill(1),
      [batch, pastLength + tokens],
    ),
    position_ids: int64(
      rows.flatMap((r) => r.map((_, k) => pastLength + k)),
      [batch, tokens],
    ),
  };
  pastNames.forEach((name, i) => {
    feeds[name] =
      past?.[i] ??
      new ort.Tensor("float32", new Float32Array(0), [
        batch,
        KV_HEADS,
        0,
        HEAD_DIM,
      ]);
  });
  const out = await session.run(feeds);
  return {
    logits: out.logits!,
    presents: presentNames.map((n) => out[n]!),
  };
}

function argmaxRows(last: Float32Array, batch: number): number[] {
  const vocab = last.length / batch;
  return Array.from({ length: batch }, (_, b) => {
    let best = 0;
    for (let v = 1; v < vocab; v++)
      if (last[b * vocab + v]! > last[b * vocab + best]!) best = v;
    return best;
  });
}

const prompts = scaleTokenRows();
const batch = prompts.length;

const tasks: Record<string, () => Promise<SavedTensor>> = {
  forward: async () => {
    const { logits } = await step(prompts, null, 0);
    return {
      dtype: "float32",
      shape: [batch, logits.dims[2]!],
      data: lastPosition(logits).data,
    };
  },
  generate: async () => {
    let { logits, presents } = await step(prompts, null, 0);
    let length = prompts[0]!.length;
    const generated: number[][] = prompts.map(() => []);
    for (let t = 0; t < SCALE_NEW_TOKENS; t++) {
      const next = argmaxRows(lastPosition(logits).data, batch);
      next.forEach((id, b) => generated[b]!.push(id));
      if (t === SCALE_NEW_TOKENS - 1) break;
      ({ logits, presents } = await step(
        next.map((id) => [id]),
        presents,
        length,
      ));
      length++;
    }
    return {
      dtype: "int64",
      shape: [batch, SCALE_NEW_TOKENS],
      data: BigInt64Array.from(generated.flat(), (id) => BigInt(id)),
    };
  },
};

const results: Record<string, { seconds: number[]; checksum: number }> = {};
const outputs: Record<string, SavedTensor> = {};
for (const [name, task] of Object.entries(tasks)) {
  markPhase(name);
  const output = await task(); // warm-up (and the output)
  outputs[name] = output;
  const seconds = await timeRounds(rounds, task);
  results[name] = { seconds, checksum: outputChecksum(output) };
}
markPhase("end");
await session.release();

writeContenderDump(args.dump, "onnxruntime-node", outputs);
const report: ContenderReport & { loadSeconds: number } = {
  peer: "onnxruntime-node",
  threads,
  versions: {
    node: process.version,
    "onnxruntime-node": ort.env.versions.node ?? ort.env.versions.common,
  },
  loadSeconds,
  peakRssBytes: peakRssOf(process.pid)!,
  tasks: results,
};
console.log(JSON.stringify(report));
