import type { ModelHostingState } from "../domain/projections/model-hosting.ts";

/** A host request for a model that is already requested, loading or online. */
export class ModelAlreadyHostedError extends Error {
  override readonly name = "ModelAlreadyHostedError";
  readonly code = "MODEL_ALREADY_HOSTED";
  constructor(
    readonly model: string,
    readonly state: ModelHostingState,
  ) {
    super(
      `model ${model} is already ${state === "online" ? "hosted (online)" : state}: unhost it first to host it from other files`,
    );
  }
}

/**
 * A run on a model that is not online: unhosted, or still requested or
 * loading, or refused or failed on its workers. Raised before anything is
 * queued; names the model, its state and the reason where there is one.
 */
export class ModelUnavailableError extends Error {
  override readonly name = "ModelUnavailableError";
  readonly code = "MODEL_UNAVAILABLE";
  constructor(
    readonly model: string,
    readonly state: Exclude<ModelHostingState, "online">,
    readonly reason: string | null,
  ) {
    super(
      state === "unhosted"
        ? `model ${model} is not hosted (an administrator unhosted it): nothing was queued`
        : state === "requested" || state === "loading"
          ? `model ${model} is not online yet (${state}): nothing was queued; try again once it is online`
          : `model ${model} is not online (${state}${reason ? `: ${reason}` : ""}): nothing was queued`,
    );
  }
}
