/**
 * The report's 1.1B section: PyTorch with hooks, onnxruntime-node alone,
 * Loupe's engine in process and Loupe's platform on a Llama-architecture model of
 * TinyLlama-1.1B's shape; time per task, Pss by phase, outputs against
 * PyTorch's, and what the export cost. Markdown, from the measurements of
 * one `npm run bench` (bench/scale/run-scale-phase.ts).
 */
import {
  SCALE_BATCH,
  SCALE_NEW_TOKENS,
  SCALE_PATCH_LAYER,
  SCALE_TASKS,
  SCALE_TOKENS,
  type ScaleTask,
} from "../scale/llama-batch.ts";
import {
  SCALE_CONTENDERS,
  SCALE_TOLERANCE,
  type ScaleContender,
  type ScaleMeasurements,
} from "../scale/run-scale-phase.ts";
import { median, spread } from "./stats.ts";

const LABEL: Record<ScaleContender, string> = {
  pytorch: "PyTorch (hooks)",
  "onnxruntime-node": "onnxruntime-node alone",
  "loupe-engine": "Loupe engine",
  "loupe-platform": "Loupe platform (worker)",
};

const TASK_LABEL: Record<ScaleTask, string> = {
  forward: "plain forward (no intervention)",
  patching: `activation patching, layer ${SCALE_PATCH_LAYER} MLP`,
  lens: "logit lens, 22 layers",
  generate: `greedy generation, ${SCALE_NEW_TOKENS} new tokens, key/value cache`,
};

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;

/** The section, or a short note when the phase did not run (--skip-scale). */
export function scaleSection(
  m: ScaleMeasurements | undefined,
  skipped: string,
): string {
  if (!m)
    return `## Scale: a 1.1B-parameter Llama-architecture model\n\nNot measured in this run: ${skipped}.\n`;
  const e = m.export;
  const onnxBytes = e.bytes["model.onnx"] ?? 0;
  const dataBytes = e.bytes["model.onnx.data"] ?? 0;
  const exportSeconds = Object.values(e.seconds).reduce((a, b) => a + b, 0);

  const timeRows = SCALE_TASKS.map((task) => {
    const cells = SCALE_CONTENDERS.map((c) => {
      const s = m.results[c]?.seconds[task];
      return s && s.length > 0 ? spread(s) : "—";
    });
    return `| ${TASK_LABEL[task]} | ${cells.join(" | ")} |`;
  });
  const tokensPerSecond = SCALE_CONTENDERS.map((c) => {
    const s = m.results[c]?.seconds.generate;
    return s && s.length > 0
      ? ((SCALE_BATCH * SCALE_NEW_TOKENS) / median(s)).toFixed(1)
      : "—";
  });
  const loadRow = SCALE_CONTENDERS.map((c) => {
    const s = m.results[c]?.loadSeconds;
    return s === undefined ? "—" : `${s.toFixed(1)} s`;
  });

  const phases = ["load", ...SCALE_TASKS] as const;
  const memoryRows = SCALE_CONTENDERS.map((c) => {
    const r = m.results[c];
    if (!r)
      return `| ${LABEL[c]} | — | ${phases.map(() => "—").join(" | ")} | — |`;
    const cells = phases.map((p) => {
      const b = r.pss.byPhase[p];
      return b === undefined ? "—" : gib(b);
    });
    return `| ${LABEL[c]} | ${gib(r.pss.peakBytes)} | ${cells.join(" | ")} | ${gib(r.peakRssBytes)} |`;
  });

  // Issue 18's bound on the hosting worker: 1.3x the weights plus 600 MB.
  const worker = m.results["loupe-platform"];
  const bound = 1.3 * dataBytes + 600e6;
  const boundLine = worker
    ? `The platform's worker, hosting the model (and the bundled one) and running every task, peaked at ${gib(worker.pss.peakBytes)} of Pss: ${(worker.pss.peakBytes / dataBytes).toFixed(2)}× the weights' ${gib(dataBytes)}, against a bound of 1.3× the weights plus 600 MB (${gib(bound)}): ${worker.pss.peakBytes <= bound ? "within it" : "**over it**"}.`
    : "The platform's worker did not run in this phase.";

  const agreementRows = m.agreements.map(
    (a) =>
      `| ${TASK_LABEL[a.task]} | ${LABEL[a.contender]} | ${a.maxAbsDiff !== undefined ? `max abs diff ${a.maxAbsDiff.toExponential(1)}, ${(a.maxAbsDiff / a.maxAbsRef!).toExponential(1)} of max\\|ref\\| ${a.maxAbsRef!.toPrecision(3)}` : `${a.equalIds![0]} of ${a.equalIds![1]} ids equal`} |`,
  );
  const missing = Object.entries(m.missing).map(
    ([c, why]) => `- **${LABEL[c as ScaleContender]}**: ${why}.`,
  );
  const versions = Object.entries(m.results)
    .map(
      ([c, r]) =>
        `${LABEL[c as ScaleContender]}: ${Object.entries(r.versions)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")}`,
    )
    .join("; ");

  return `## Scale: a 1.1B-parameter Llama-architecture model, batch ${SCALE_BATCH} × ${SCALE_TOKENS} tokens

TinyLlama-1.1B's architecture (hidden 2048, intermediate 5632, 22 layers, 32
heads, 4 key/value heads, vocabulary 32000; ${e.parameters.toLocaleString("en-US")}
parameters), random init after \`torch.manual_seed(0)\`, float32: no hub is
reachable, and speed does not depend on the weights' values. Exported by
bench/models/export_llama_1b.py (${Object.entries(e.versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ")}; TorchScript, opset 14, with a key/value cache) to model.onnx
(${(onnxBytes / 2 ** 20).toFixed(1)} MiB) and its external data model.onnx.data
(${gib(dataBytes)}) in ${exportSeconds.toFixed(0)} s (${Object.entries(
    e.seconds,
  )
    .map(([step, s]) => `${step} ${s.toFixed(0)} s`)
    .join(", ")}), once, cached under .loupe/cache/bench and never committed.
PyTorch loads the same weights from the safetensors saved beside the export.

Every contender runs in its own process, one at a time, with ${m.threads}
threads: first each task once, its memory sampled and its outputs checked
against PyTorch's, then, unsampled, ${m.rounds} timed calls per task after
one untimed call. Loupe's platform is a whole Loupe (PostgreSQL, Temporal,
the web app, a worker with the bundled model) brought up for the phase; the
model is hosted while it runs (\`loupe models host --wait\`: the worker reads
model.onnx and maps model.onnx.data), each task is one remote run with the
SDK, end to end, and its memory is the worker process's Pss. Prompts: ${SCALE_BATCH} rows of ${SCALE_TOKENS} token ids (bench/scale/llama-batch.ts).
Patching writes layer ${SCALE_PATCH_LAYER}'s MLP output at the last position of rows 0-1 into
rows 2-3; generation reads the prompt in one call, then one token per call
with the key/value cache. onnxruntime-node alone has no hooks: it runs the
plain forward and the generation (the limit of both).

${missing.join("\n")}

| task | ${SCALE_CONTENDERS.map((c) => LABEL[c]).join(" | ")} |
|---|${SCALE_CONTENDERS.map(() => "---").join("|")}|
${timeRows.join("\n")}
| generation, tokens/s (${SCALE_BATCH} × ${SCALE_NEW_TOKENS} / median) | ${tokensPerSecond.join(" | ")} |
| loading the model (once, not in the rows above; PyTorch's from_pretrained maps the safetensors file, and its pages are read by the first call) | ${loadRow.join(" | ")} |

### Peak memory (Pss of each contender's process tree)

Sampled from the benchmark's process as in the GPT-2 comparison (summed
over the contender's processes, by phase, tasks in this order in one
process), while each task runs once before the timed run. PyTorch keeps from_pretrained's weights mapped from
the safetensors file: they count in Pss (and RSS) as their pages are read.

${boundLine}

| contender | peak Pss | ${phases.map((p) => (p === "load" ? "loading" : TASK_LABEL[p].split(",")[0])).join(" | ")} | peak RSS |
|---|---|${phases.map(() => "---").join("|")}|---|
${memoryRows.join("\n")}

### Same computation: outputs against PyTorch's

Float outputs (logits) within ${SCALE_TOLERANCE.maxRelDiff} × the reference's largest magnitude per tensor
(max\\|a−b\\| ≤ ${SCALE_TOLERANCE.maxRelDiff}·max\\|ref\\|), token ids ${SCALE_TOLERANCE.minEqualIdShare * 100}% equal, or the benchmark stops.

| task | contender | agreement with PyTorch |
|---|---|---|
${agreementRows.join("\n")}

Versions: ${versions}.
`;
}
