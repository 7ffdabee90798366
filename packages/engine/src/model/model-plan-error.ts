/** Raised when a model cannot be prepared for hooked execution. */
export class ModelPlanError extends Error {
  override readonly name = "ModelPlanError";
  readonly code = "MODEL_PLAN";
}
