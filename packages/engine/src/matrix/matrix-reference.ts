import { readFileSync } from "node:fs";
import path from "node:path";
import { FIXTURES } from "../testing/fixture-engines.ts";

/**
 * The architecture matrix's committed PyTorch references
 * (fixtures/matrix/<name>/reference.json, written by build_matrix.py): what
 * the matrix test reads. Python is never needed to read them.
 */
export const MATRIX_DIR = path.join(FIXTURES, "matrix");

/** The three exports of each architecture (fixtures/matrix/README.md). */
export const EXPORTERS = ["torchscript", "dynamo", "torchscript-kv"] as const;
export type Exporter = (typeof EXPORTERS)[number];

/** A tensor as the references store it: row-major float32 values. */
export interface SavedTensor {
  readonly shape: number[];
  readonly values: number[];
}

/** One export's status: its file, or the exporter's error. */
export interface ExportEntry {
  readonly ok: boolean;
  readonly file: string | null;
  readonly error?: string;
  readonly bytes?: number;
}

/** The module paths the references hook; `{i}` is a layer index. */
export interface MatrixModules {
  readonly embed: string;
  readonly block: string;
  readonly attn: string;
  readonly mlp: string;
  readonly norm: string | null;
  readonly head: string;
  readonly norms: readonly string[];
  readonly pos?: string;
}

/** One architecture's reference.json. */
export interface MatrixReference {
  readonly name: string;
  readonly architecture: string;
  readonly decoder: boolean;
  readonly n_layers: number;
  readonly hidden_size: number;
  readonly modules: MatrixModules;
  readonly prompts: Record<"A" | "B", number[]>;
  readonly exports: Record<Exporter, ExportEntry>;
  readonly module_tree: readonly {
    path: string;
    class: string;
    called: boolean;
    tuple: boolean;
  }[];
  readonly cases: {
    plain: Record<"A" | "B", { logits: SavedTensor }>;
    save: { saves: Record<string, SavedTensor> };
    patch: { layer: number; logits: SavedTensor };
    ablate: { layer: number; logits: SavedTensor };
    logit_lens: { layers: Record<string, SavedTensor> };
    steer: { layer: number; vector: number[]; logits: SavedTensor };
    gradients: {
      metric_ids: [number, number];
      metric: number;
      grads: Record<string, SavedTensor>;
    };
    generate?: { n_new: number } & Record<"A" | "B", { ids: number[] }>;
  };
}

/** The architectures in matrix.json's order, each with its reference. */
export function readMatrixReferences(): MatrixReference[] {
  const index = JSON.parse(
    readFileSync(path.join(MATRIX_DIR, "matrix.json"), "utf8"),
  ) as { architectures: { name: string }[] };
  return index.architectures.map(
    ({ name }) =>
      JSON.parse(
        readFileSync(path.join(MATRIX_DIR, name, "reference.json"), "utf8"),
      ) as MatrixReference,
  );
}

/** A module path of the references with `{i}` replaced by the layer index. */
export function layerPath(template: string, i: number): string {
  return template.replace("{i}", String(i));
}
