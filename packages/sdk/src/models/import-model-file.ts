import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { loadTokenizer } from "@loupe/graph";
import type { LocalEngine } from "../local/load-engine.ts";
import type { ImportedModelFile } from "./imported-model-file.ts";
import { ModelImportError } from "./model-import-error.ts";
import { writeFileAtomically } from "./write-file-atomically.ts";

/** What to import. */
export interface ImportModelFileOptions {
  /** The ONNX file (an unoptimized TorchScript export). */
  readonly modelPath: string;
  /** A Hugging Face tokenizer.json to check and record beside the manifest. */
  readonly tokenizerPath?: string;
  /** The model's name in the manifest; by default the model file's stem. */
  readonly name?: string;
  /** Whether modules return tuples, by path pattern, over the importer's assumptions. */
  readonly tuple?: Readonly<Record<string, boolean>>;
}

/** The written file and where it is. */
export interface ModelFileImport {
  readonly manifestPath: string;
  readonly file: ImportedModelFile;
}

/**
 * Imports an ONNX model with the local engine and writes
 * `<model stem>.manifest.json` beside it (an ImportedModelFile, 2-space JSON).
 * Everything is read and checked before anything is written, and the write is
 * atomic, so a failure leaves no file behind and an older manifest untouched.
 * Throws ModelImportError naming the file that was missing or wrong.
 *
 * @example
 * const engine = await loadEngine();
 * const { manifestPath } = await importModelFile({ modelPath: "gpt2.onnx" }, engine);
 */
export async function importModelFile(
  options: ImportModelFileOptions,
  engine: LocalEngine,
): Promise<ModelFileImport> {
  const { modelPath, tokenizerPath } = options;
  const stem = path.parse(modelPath).name;
  const manifestPath = path.join(
    path.dirname(modelPath),
    `${stem}.manifest.json`,
  );
  const modelBytes = await readInput(
    modelPath,
    "model",
    "MODEL_FILE_UNREADABLE",
  );
  const tokenizer =
    tokenizerPath === undefined
      ? null
      : await checkTokenizer(tokenizerPath, manifestPath);

  let imported: Awaited<ReturnType<LocalEngine["importOnnxModel"]>>;
  try {
    // External data files (model.onnx.data) are found beside the model.
    imported = await engine.importOnnxModel(modelBytes, options.name ?? stem, {
      externalDataDir: path.dirname(modelPath),
      ...(options.tuple && { tuple: options.tuple }),
    });
  } catch (error) {
    const message = (error as Error).message;
    throw (error as Error).name === "OnnxDecodeError"
      ? new ModelImportError(
          "MODEL_NOT_ONNX",
          modelPath,
          `${modelPath}: ${message}`,
          {
            cause: error,
          },
        )
      : new ModelImportError(
          "MODEL_IMPORT_FAILED",
          modelPath,
          `could not import ${modelPath}: ${message}`,
          { cause: error },
        );
  }

  const file: ImportedModelFile = {
    format: "loupe.imported-model",
    version: 1,
    manifest: imported.manifest,
    tokenizer,
    unresolved: imported.unresolved,
    unplacedParams: imported.unplacedParams,
    assumptions: imported.assumptions,
    unreachable: imported.unreachable,
    ...(options.tuple &&
      Object.keys(options.tuple).length > 0 && { tuple: options.tuple }),
  };
  try {
    await writeFileAtomically(
      manifestPath,
      `${JSON.stringify(file, null, 2)}\n`,
    );
  } catch (error) {
    throw new ModelImportError(
      "MANIFEST_WRITE_FAILED",
      manifestPath,
      `could not write ${manifestPath}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return { manifestPath, file };
}

/** Reads and loads the tokenizer (so a broken one fails the import), and returns how the manifest records it. */
async function checkTokenizer(
  tokenizerPath: string,
  manifestPath: string,
): Promise<NonNullable<ImportedModelFile["tokenizer"]>> {
  const bytes = await readInput(
    tokenizerPath,
    "tokenizer",
    "TOKENIZER_UNREADABLE",
  );
  const unreadable = (why: string, cause: unknown) =>
    new ModelImportError(
      "TOKENIZER_UNREADABLE",
      tokenizerPath,
      `tokenizer ${tokenizerPath} is unreadable: ${why}`,
      { cause },
    );
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw unreadable(`not UTF-8 JSON (${(error as Error).message})`, error);
  }
  try {
    loadTokenizer(json);
  } catch (error) {
    throw unreadable((error as Error).message, error);
  }
  return {
    file: path
      .relative(
        path.dirname(path.resolve(manifestPath)),
        path.resolve(tokenizerPath),
      )
      .split(path.sep)
      .join("/"),
    sha256: `sha256:${createHash("sha256").update(bytes).digest("hex")}`,
  };
}

async function readInput(
  file: string,
  what: "model" | "tokenizer",
  code: "MODEL_FILE_UNREADABLE" | "TOKENIZER_UNREADABLE",
): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code;
    const message =
      reason === "ENOENT"
        ? `${what} file not found: ${file}`
        : reason === "EISDIR"
          ? `${what} file ${file} is a directory`
          : `cannot read ${what} file ${file}: ${(error as Error).message}`;
    throw new ModelImportError(code, file, message, { cause: error });
  }
}
