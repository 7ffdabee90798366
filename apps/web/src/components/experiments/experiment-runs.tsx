import Link from "next/link";
import { When } from "@/components/when";

/** An experiment's runs, any version, newest first. */
export function ExperimentRuns({
  runs,
}: {
  runs: {
    runId: string;
    version: number | null;
    status: string;
    cached: boolean;
    requestedAt: Date;
  }[];
}) {
  return (
    <section aria-labelledby="runs">
      <h2 id="runs">Runs</h2>
      {runs.length === 0 ? (
        <p className="muted">Not run yet.</p>
      ) : (
        <table className="grid" data-testid="experiment-runs">
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Version</th>
              <th scope="col">Status</th>
              <th scope="col">Requested</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.runId}>
                <td>
                  <Link href={`/runs/${r.runId}`}>
                    <code>{r.runId.slice(0, 8)}</code>
                  </Link>
                </td>
                <td className="num">v{r.version}</td>
                <td>
                  {r.status}
                  {r.cached && <span className="muted small"> (cached)</span>}
                </td>
                <td className="num">
                  <When at={r.requestedAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
