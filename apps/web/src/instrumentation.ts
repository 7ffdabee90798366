/**
 * Runs once when the server starts: a bad environment stops the server here,
 * naming the variable, instead of failing the first request. Then, once a
 * minute, ends runs whose workflow was never started (see
 * reconcileUnscheduledRuns), releasing their quota.
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
  const { reconcileUnscheduledRuns } = await import("@loupe/api");
  const { getApiServices } = await import("./server/api-services");
  setInterval(() => {
    reconcileUnscheduledRuns(getApiServices(), { olderThanMs: 120_000 })
      .then((ended) => {
        if (ended.length > 0)
          console.warn(
            `[runs] ended ${ended.length} unscheduled run(s): ${ended.join(", ")}`,
          );
      })
      .catch((error: unknown) =>
        console.error("[runs] reconcile failed:", error),
      );
  }, 60_000).unref();
}
