/** Raised when a model's weights cannot be stored, found or read. */
export class WeightStoreError extends Error {
  override readonly name = "WeightStoreError";
  readonly code = "WEIGHT_STORE";
}
