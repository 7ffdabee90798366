/** The health report's shape as far as the stack needs it. */
interface HealthSummary {
  healthy: boolean;
  parts: { part: string; healthy: boolean; detail: string }[];
  workers: { id: string; healthy: boolean }[];
}

/** Fetches the platform's live health from the web app's API. */
export async function fetchHealth(webUrl: string): Promise<HealthSummary> {
  const response = await fetch(`${webUrl}/api/trpc/system.health`, {
    signal: AbortSignal.timeout(5000),
  });
  if (!response.ok)
    throw new Error(`GET /api/trpc/system.health answered ${response.status}`);
  const body = (await response.json()) as { result: { data: HealthSummary } };
  return body.result.data;
}

/** True once every part reports healthy and at least one worker is up. */
export async function isPlatformHealthy(webUrl: string): Promise<boolean> {
  const health = await fetchHealth(webUrl);
  if (!health.healthy) {
    const bad = health.parts
      .filter((p) => !p.healthy)
      .map((p) => `${p.part}: ${p.detail}`);
    throw new Error(bad.length > 0 ? bad.join("; ") : "a worker is unhealthy");
  }
  return health.workers.length > 0;
}
