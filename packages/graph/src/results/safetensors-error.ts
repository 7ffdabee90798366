/** What was wrong: tensors handed to the writer, or the bytes handed to the reader. */
export type SafetensorsErrorCode =
  "SAFETENSORS_INVALID_INPUT" | "SAFETENSORS_INVALID_FILE";

/**
 * Raised by toSafetensors and fromSafetensors with every problem found, each
 * naming the tensor (or the part of the file) it is about.
 */
export class SafetensorsError extends Error {
  override readonly name = "SafetensorsError";

  constructor(
    readonly code: SafetensorsErrorCode,
    readonly issues: readonly string[],
    options?: ErrorOptions,
  ) {
    super(
      issues.length === 1
        ? issues[0]
        : `${issues.length} problems:\n${issues.map((i) => `  - ${i}`).join("\n")}`,
      options,
    );
  }
}
