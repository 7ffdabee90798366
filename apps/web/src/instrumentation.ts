/**
 * Runs once when the server starts: a bad environment stops the server here,
 * naming the variable, instead of failing the first request. Then, at start-up
 * and once a minute, the sweeper starts the workflows of runs that were
 * recorded but never started (Temporal was stalled or down at their submit;
 * see startUnscheduledRuns).
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
  const { startUnscheduledRuns } = await import("@loupe/api");
  const { getApiServices } = await import("./server/api-services");
  const sweep = () =>
    startUnscheduledRuns(getApiServices(), { olderThanMs: 10_000 })
      .then((started) => {
        if (started.length > 0)
          console.warn(
            `[runs] started ${started.length} run(s) recorded while Temporal did not answer: ${started.join(", ")}`,
          );
      })
      .catch((error: unknown) =>
        console.error("[runs] the sweeper failed:", error),
      );
  void sweep();
  setInterval(() => void sweep(), 60_000).unref();
}
