/**
 * Runs once when the server starts: a bad environment stops the server here,
 * naming the variable, instead of failing the first request.
 */
export async function register(): Promise<void> {
  if (
    process.env.NEXT_RUNTIME !== "nodejs" ||
    process.env.NEXT_PHASE === "phase-production-build"
  )
    return;
  const { getWebEnv } = await import("./server/env");
  try {
    getWebEnv();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
