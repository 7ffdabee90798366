/**
 * A run's page in the portal, `<server>/runs/<id>` (apps/web's runs/[id]):
 * what the CLI prints for each run it makes, so a run seen in a terminal
 * opens in a browser.
 */
export function runPageUrl(serverUrl: string, runId: string): string {
  return new URL(`/runs/${encodeURIComponent(runId)}`, serverUrl).href;
}
