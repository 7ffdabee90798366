/** Raised when a program cannot be differentiated; the message names the operator. */
export class GradientError extends Error {
  override readonly name = "GradientError";
  readonly code = "GRADIENT";
}
