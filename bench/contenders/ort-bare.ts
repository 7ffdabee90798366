/**
 * onnxruntime-node alone, as a contender of the comparison: the limit of a
 * plain forward pass. One InferenceSession on the same ONNX file with the
 * same thread count and the same session options as Loupe's engine (no
 * spin-waiting: the engine's DEFAULT_SESSION_OPTIONS, written out here so
 * that this process loads nothing of Loupe), fed the same batch; no graph,
 * no hooks. Its own process, so its memory is its own.
 *
 *   node --import tsx bench/contenders/ort-bare.ts MODEL.onnx [--rounds N] [--threads T] [--dump DIR]
 *
 * Prints one ContenderReport on stdout (task "forward" only); with --dump,
 * writes the logits at the last position, [32, 50257], to
 * DIR/onnxruntime-node.safetensors (the slice is taken after the timed call:
 * Loupe's graph takes it inside).
 */
import * as ort from "onnxruntime-node";
import { peakRssOf } from "../platform/process-memory.ts";
import { BATCH, TOKENS, tokenRows } from "../suites/gpt2-graphs.ts";
import {
  markPhase,
  outputChecksum,
  type ContenderReport,
} from "./contender-report.ts";
import { parseContenderArgs } from "./parse-contender-args.ts";
import { lastPosition } from "./last-position.ts";
import { timeRounds } from "./time-rounds.ts";
import { writeContenderDump } from "./contender-dump.ts";

const args = parseContenderArgs("ort-bare.ts", "MODEL.onnx", 10);
const modelFile = args.model;
const { rounds } = args;
const { threads } = args;

const session = await ort.InferenceSession.create(modelFile, {
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  extra: { session: { intra_op: { allow_spinning: "0" } } },
});
const rows = tokenRows();
const dims = [BATCH, TOKENS];
const ids = BigInt64Array.from(rows.flat(), (id) => BigInt(id));
const feeds = {
  input_ids: new ort.Tensor("int64", ids, dims),
  attention_mask: new ort.Tensor(
    "int64",
    new BigInt64Array(ids.length).fill(1n),
    dims,
  ),
  position_ids: new ort.Tensor(
    "int64",
    BigInt64Array.from(ids, (_, k) => BigInt(k % TOKENS)),
    dims,
  ),
};

markPhase("forward");
const output = lastPosition((await session.run(feeds)).logits!); // warm-up
const seconds = await timeRounds(rounds, () => session.run(feeds));
markPhase("end");
await session.release();

writeContenderDump(args.dump, "onnxruntime-node", { forward: output });
const report: ContenderReport = {
  peer: "onnxruntime-node",
  threads,
  versions: {
    node: process.version,
    "onnxruntime-node": ort.env.versions.node ?? ort.env.versions.common,
  },
  peakRssBytes: peakRssOf(process.pid)!,
  tasks: { forward: { seconds, checksum: outputChecksum(output) } },
};
console.log(JSON.stringify(report));
