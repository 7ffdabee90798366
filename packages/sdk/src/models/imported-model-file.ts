import type { Manifest } from "@loupe/graph";

/**
 * What `loupe models import` writes beside a model (`<stem>.manifest.json`).
 * A wrapper around the manifest because @loupe/graph's manifest schema has no
 * field for the tokenizer, and the tokenizer belongs to the model file on disk,
 * not to the graph language. Always this shape, with or without a tokenizer, so
 * readers need not guess.
 */
export interface ImportedModelFile {
  readonly format: "loupe.imported-model";
  readonly version: 1;
  /** The manifest as the engine's importer produced it (parse it with `manifestSchema`). */
  readonly manifest: Manifest;
  /** The tokenizer.json given at import: its path relative to this file (with `/`), and its SHA-256. */
  readonly tokenizer: { readonly file: string; readonly sha256: string } | null;
  /** Modules found in the ONNX file but left out of the manifest, each with the reason. */
  readonly unresolved: readonly {
    readonly path: string;
    readonly reason: string;
  }[];
  /**
   * Weights in the ONNX file no module could claim as a parameter, with the
   * modules that read them and the reason (absent in files written before
   * parameters were placed: read it as none).
   */
  readonly unplacedParams?: readonly {
    readonly tensor: string;
    readonly usedBy: readonly string[];
    readonly reason: string;
  }[];
  /**
   * Which modules return tuples where the export could not tell, as the
   * importer took it (absent in older files).
   */
  readonly assumptions?: readonly {
    readonly modules: string;
    readonly tuple: boolean;
    readonly reason: string;
  }[];
  /**
   * What `.source` cannot reach inside modules: fused operators and inner
   * tensors of a type the graph language does not handle (absent in older files).
   */
  readonly unreachable?: readonly {
    readonly path: string;
    readonly call: number;
    readonly name: string;
    readonly reason: string;
  }[];
  /** The `--tuple` overrides the import was given, by module pattern. */
  readonly tuple?: Readonly<Record<string, boolean>>;
}
