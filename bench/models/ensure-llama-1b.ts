import fs from "node:fs";
import path from "node:path";
import { runExportScript } from "./python-envs.ts";

const root = path.resolve(import.meta.dirname, "..", "..");

/** Where the 1.1B export is cached (git-ignored: .loupe/ is local state; never committed). */
export const LLAMA_1B_DIR = path.join(
  root,
  ".loupe",
  "cache",
  "bench",
  "llama-1b",
);

/**
 * Free disk the 1.1B phase needs when it has to export the model: the
 * exporter's file per tensor (4.4 GB), the single data file (4.4 GB), the
 * safetensors for PyTorch (4.4 GB), with room to spare.
 */
export const LLAMA_1B_DISK_BYTES = 20 * 2 ** 30;

const GiB = 2 ** 30;

/** What export_llama_1b.py writes to export.json (the fields the report reads). */
export interface ExportFacts {
  readonly parameters: number;
  readonly versions: Readonly<Record<string, string>>;
  /** Seconds per export step (random init, safetensors, onnx export, ...). */
  readonly seconds: Readonly<Record<string, number>>;
  /** Bytes per file written. */
  readonly bytes: Readonly<Record<string, number>>;
}

/** Parses export.json, naming the file and the field that is off. */
function parseExportFacts(file: string, value: unknown): ExportFacts {
  const fail = (what: string) => {
    throw new Error(
      `${path.relative(root, file)}: ${what}; export_llama_1b.py writes it (delete the folder to export again)`,
    );
  };
  if (typeof value !== "object" || value === null) fail("not a JSON object");
  const v = value as Record<string, unknown>;
  if (typeof v.parameters !== "number")
    fail(`parameters should be a number, got ${JSON.stringify(v.parameters)}`);
  for (const [field, type] of [
    ["versions", "string"],
    ["seconds", "number"],
    ["bytes", "number"],
  ] as const) {
    const record = v[field];
    if (
      typeof record !== "object" ||
      record === null ||
      Object.values(record).some((x) => typeof x !== type)
    )
      fail(
        `${field} should map names to ${type}s, got ${JSON.stringify(record)}`,
      );
  }
  return v as unknown as ExportFacts;
}

/** Bytes free for an unprivileged writer on the file system holding `dir` (or its nearest existing parent). */
export function freeDiskBytes(dir: string): number {
  let probe = dir;
  while (!fs.existsSync(probe)) probe = path.dirname(probe);
  const { bavail, bsize } = fs.statfsSync(probe);
  return bavail * bsize;
}

function isExported(): boolean {
  return [
    "model.onnx",
    "model.onnx.data",
    "model.safetensors",
    "config.json",
    "export.json",
  ].every((f) => fs.existsSync(path.join(LLAMA_1B_DIR, f)));
}

/**
 * Throws unless the 1.1B phase can run on this disk: LLAMA_1B_DISK_BYTES
 * free when the model still has to be exported. Cheap: called before
 * anything is measured, so a full disk fails the benchmark at once.
 */
export function checkLlama1bDisk(): void {
  if (isExported()) return;
  const free = freeDiskBytes(LLAMA_1B_DIR);
  if (free < LLAMA_1B_DISK_BYTES)
    throw new Error(
      `the 1.1B phase exports a 4.4 GB model to ${path.relative(root, LLAMA_1B_DIR)} and needs ${(LLAMA_1B_DISK_BYTES / GiB).toFixed(0)} GiB free there; ${(free / GiB).toFixed(1)} GiB are free (free some, or run with --skip-scale)`,
    );
}

/**
 * The 1.1B export's folder (model.onnx, model.onnx.data, model.safetensors,
 * config.json, export.json), exported by export_llama_1b.py on first use
 * (~4 minutes and 13 GB of disk here) and cached; and what its export.json
 * says (the export's time and sizes).
 */
export function ensureLlama1b(log: (line: string) => void): {
  dir: string;
  facts: ExportFacts;
} {
  if (!isExported()) {
    checkLlama1bDisk();
    runExportScript({
      script: "export_llama_1b.py",
      target: LLAMA_1B_DIR,
      cost: "about 4 minutes, 13 GB",
      log,
      exported: isExported,
    });
  }
  const file = path.join(LLAMA_1B_DIR, "export.json");
  const facts = parseExportFacts(
    file,
    JSON.parse(fs.readFileSync(file, "utf8")),
  );
  return { dir: LLAMA_1B_DIR, facts };
}
