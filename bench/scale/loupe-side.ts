/**
 * Loupe's side of the 1.1B phase: NOT WIRED YET (issue 18).
 *
 * TODO(issue 18, engine): once LoupeEngine loads an export whose weights are
 * in external data (model.onnx + model.onnx.data, over protobuf's 2 GB),
 * make loupeScaleContender return the command of a contender process, and
 * the phase (run-scale-phase.ts) runs it like the others: after PyTorch and
 * onnxruntime-node alone, never beside them (one 4.4 GB model in memory at a
 * time), its memory sampled (Pss of its process tree, by phase), its outputs
 * checked against PyTorch's within TOLERANCE, and its row filled in the
 * report (report/scale-section.ts) with no other change.
 *
 * The process (e.g. bench/scale/loupe-llama.ts, run as
 * `node --import tsx bench/scale/loupe-llama.ts MODEL_DIR --rounds N
 * --threads T --dump DIR`), as bench/contenders/loupe-engine.ts does for
 * GPT-2 small:
 *  1. load MODEL_DIR/model.onnx with its data file as a user would
 *     (`loupe models import` for the manifest, then readModelFiles /
 *     loadModelFiles), with intraOpNumThreads T and interOpNumThreads 1;
 *  2. for each task of SCALE_TASKS in order (llama-batch.ts: forward,
 *     patching, lens, generate, on scaleTokenRows()): markPhase(task), one
 *     untimed call, then N timed calls;
 *  3. markPhase("end"); with --dump, write DIR/loupe-engine.safetensors with
 *     one tensor per task, named and shaped as llama-batch.ts says (the
 *     same as bench/peers/llama_reference.py's pytorch.safetensors);
 *  4. print one ContenderReport (contenders/contender-report.ts) on stdout,
 *     with `loadSeconds` (seconds from start to a loaded engine) beside it.
 * Graphs: as bench/suites/gpt2-graphs.ts comparisonGraphs, on the Llama
 * manifest's paths: model.layers.11.mlp for patching (rows 0-1 into rows
 * 2-3: two invokes of 2 rows), model.layers.<i> outputs through model.norm
 * and lm_head for the lens (save the 22 layers' top-5 ids and stack them to
 * [22, 4, 5]), `lm.generate({ tokens: rows }, { maxNewTokens: 16 }, ...)`
 * for generation (the generated ids, [4, 16]).
 */

/** How to start Loupe's contender process in the 1.1B phase. */
export interface ScaleContenderCommand {
  readonly command: string;
  readonly args: readonly string[];
}

/** Why the phase has no Loupe row yet: shown in the report while loupeScaleContender returns undefined. */
export const LOUPE_SCALE_PENDING =
  "not measured yet: Loupe's side of this phase is not wired (bench/scale/loupe-side.ts, TODO issue 18: the engine must load the export's external data first)";

/**
 * The command of Loupe's contender on the 1.1B export in `modelDir`, or
 * undefined while Loupe's side is not wired (see this file's TODO).
 */
export function loupeScaleContender(
  // The parameters the wired version needs; unused until then.
  _modelDir: string,
  _options: { rounds: number; threads: number; dumpDir?: string },
): ScaleContenderCommand | undefined {
  return undefined;
}
