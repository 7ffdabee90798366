/** What went wrong importing a model file. */
export type ModelImportErrorCode =
  | "MODEL_FILE_UNREADABLE"
  | "MODEL_NOT_ONNX"
  | "MODEL_IMPORT_FAILED"
  | "TOKENIZER_UNREADABLE"
  | "MANIFEST_WRITE_FAILED";

/** Raised by importModelFile; the message names the file and what was wrong with it. */
export class ModelImportError extends Error {
  override readonly name = "ModelImportError";

  constructor(
    readonly code: ModelImportErrorCode,
    /** The file the problem is about. */
    readonly path: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
