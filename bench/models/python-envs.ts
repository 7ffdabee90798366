import { execFileSync, spawnSync } from "node:child_process";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..", "..");

/** The peers' virtualenv (bench/peers/setup.sh): PyPI's torch, transformers and nnsight, pinned. */
export const PEERS_PYTHON = path.join(
  root,
  ".loupe",
  "cache",
  "bench",
  "peers-venv",
  "bin",
  "python",
);

/**
 * Creates the peers' virtualenv (bench/peers/setup.sh: torch, transformers
 * and nnsight pinned from PyPI) unless it is ready; returns its python.
 */
export function ensurePeersVenv(): string {
  const setup = path.join(root, "bench", "peers", "setup.sh");
  const result = spawnSync("bash", [setup], { stdio: "inherit" });
  if (result.status !== 0)
    throw new Error(
      `${path.relative(root, setup)} failed (exit ${result.status ?? result.signal}): see its output above`,
    );
  return PEERS_PYTHON;
}

/**
 * The Python that runs the bench's export scripts (bench/models/export_*.py):
 * the peers' virtualenv (PyPI's torch) with the export overlay
 * (setup-export.sh: transformers 4.46.3, the fixtures' pin) first on
 * PYTHONPATH, since TorchScript export breaks on the peers' transformers 5.
 * Creates both when missing; returns the interpreter and its environment.
 */
export function exportPython(): { python: string; env: NodeJS.ProcessEnv } {
  const python = ensurePeersVenv();
  const setup = path.join(root, "bench", "models", "setup-export.sh");
  let overlay: string;
  try {
    overlay = execFileSync("bash", [setup], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    }).trim();
  } catch (error) {
    throw new Error(
      `${path.relative(root, setup)} failed: see its output above (${(error as Error).message})`,
      { cause: error },
    );
  }
  return { python, env: { ...process.env, PYTHONPATH: overlay } };
}

/** What runExportScript runs and how it tells the user. */
export interface ExportScriptRun {
  /** The script's file name in bench/models (export_*.py). */
  readonly script: string;
  /** Where the script writes the export (its one argument). */
  readonly target: string;
  /** How long and how big the export is, for the line announcing it. */
  readonly cost: string;
  readonly log: (line: string) => void;
  /** Whether the export is all there, checked once the script exits. */
  readonly exported: () => boolean;
}

/**
 * Runs one of the bench's export scripts with exportPython's interpreter (its
 * output inherited), announcing it first since it takes minutes; throws,
 * naming the script and its exit, unless it exits 0 and `exported()` holds.
 */
export function runExportScript(run: ExportScriptRun): void {
  const script = path.join(import.meta.dirname, run.script);
  const { python, env } = exportPython();
  run.log(`exporting ${path.relative(root, run.target)} (once; ${run.cost})`);
  const result = spawnSync(python, [script, run.target], {
    stdio: "inherit",
    env,
  });
  if (result.status !== 0 || !run.exported())
    throw new Error(
      `${path.relative(root, script)} failed (exit ${result.status ?? result.signal}): see its output above`,
    );
}
