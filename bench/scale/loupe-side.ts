import path from "node:path";

/**
 * Loupe's side of the 1.1B phase: Loupe's engine in-process on the export
 * (loupe-llama.ts), run by the phase (run-scale-phase.ts) like the others:
 * after PyTorch and onnxruntime-node alone, never beside them (one 4.4 GB
 * model in memory at a time), its memory sampled (Pss of its process tree,
 * by phase), its outputs checked against PyTorch's within TOLERANCE, its row
 * filled in the report (report/scale-section.ts).
 */

/** How to start Loupe's contender process in the 1.1B phase. */
export interface ScaleContenderCommand {
  readonly command: string;
  readonly args: readonly string[];
}

/** Why the phase would have no Loupe row: shown in the report when loupeScaleContender returns undefined. */
export const LOUPE_SCALE_PENDING =
  "not measured: Loupe's contender did not run (bench/scale/loupe-side.ts)";

/** The command of Loupe's contender on the 1.1B export in `modelDir`. */
export function loupeScaleContender(
  modelDir: string,
  options: { rounds: number; threads: number; dumpDir?: string },
): ScaleContenderCommand | undefined {
  return {
    command: process.execPath,
    args: [
      "--import",
      "tsx",
      path.join(import.meta.dirname, "loupe-llama.ts"),
      modelDir,
      "--rounds",
      String(options.rounds),
      "--threads",
      String(options.threads),
      ...(options.dumpDir === undefined ? [] : ["--dump", options.dumpDir]),
    ],
  };
}
