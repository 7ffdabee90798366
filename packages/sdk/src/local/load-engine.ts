import type * as EngineModule from "@loupe/engine";

/** The local engine's public API, as `import("@loupe/engine")` gives it. */
export type LocalEngine = typeof EngineModule;

/** Raised when @loupe/engine is not installed beside the SDK, or fails to load. */
export class EngineLoadError extends Error {
  override readonly name = "EngineLoadError";

  constructor(
    readonly code: "ENGINE_NOT_INSTALLED" | "ENGINE_LOAD_FAILED",
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Loads @loupe/engine, which local commands (model import, local runs) need and
 * remote-only users do without: it is an optional peer dependency, since it
 * brings onnxruntime-node's native binaries. Loaded on first use, so the rest of
 * the CLI works without it.
 */
export async function loadEngine(): Promise<LocalEngine> {
  try {
    return await import("@loupe/engine");
  } catch (error) {
    if (isEngineMissing(error))
      throw new EngineLoadError(
        "ENGINE_NOT_INSTALLED",
        "the local engine (@loupe/engine) is not installed; this command runs models on this machine. Install it beside the SDK with `npm install @loupe/engine` (it brings onnxruntime-node), or run models on a Loupe server instead.",
        { cause: error },
      );
    throw new EngineLoadError(
      "ENGINE_LOAD_FAILED",
      `the local engine (@loupe/engine) is installed but failed to load: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** True for the resolver's "not found" about @loupe/engine itself, not about a package it imports. */
function isEngineMissing(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (
    (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") &&
    /['"]@loupe\/engine['"]/.test(error.message)
  );
}
