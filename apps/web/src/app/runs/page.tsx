import type { Metadata } from "next";
import Link from "next/link";
import { requireAccount } from "@/server/session";
import { When } from "@/components/when";

export const metadata: Metadata = { title: "Runs" };
export const dynamic = "force-dynamic";

export default async function RunsPage() {
  const { caller } = await requireAccount("/runs");
  const runs = await caller.runs.list({ limit: 100 });
  return (
    <section className="page">
      <h1>Your runs</h1>
      {runs.length === 0 ? (
        <p className="muted">
          No runs yet. Run an experiment from the{" "}
          <Link href="/gallery">gallery</Link>, or a script with the SDK.
        </p>
      ) : (
        <table className="grid" data-testid="runs">
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Model</th>
              <th scope="col">Status</th>
              <th scope="col">Requested</th>
              <th scope="col">Experiment</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.runId} data-testid="run-row" data-run-id={r.runId}>
                <td>
                  <Link href={`/runs/${r.runId}`}>
                    <code>{r.runId.slice(0, 8)}</code>
                  </Link>
                </td>
                <td>{r.model}</td>
                <td>
                  <span className={`pill run-${r.status}`}>{r.status}</span>
                  {r.cached && <span className="muted small"> cached</span>}
                </td>
                <td className="num">
                  <When at={r.requestedAt} />
                </td>
                <td>
                  {r.experiment ? (
                    <Link
                      href={`/experiments/${r.experiment.experimentId}?v=${r.experiment.version}`}
                    >
                      v{r.experiment.version}
                    </Link>
                  ) : (
                    <span className="muted">ad hoc</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
