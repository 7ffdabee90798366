import { DataTable, type Column } from "@/components/data-table";
import { RunLink } from "@/components/runs/run-link";
import { When } from "@/components/when";
import type { CallerOutputs } from "@/lib/api-outputs";

type ExperimentRun = CallerOutputs["experiments"]["runs"][number];

const COLUMNS: Column<ExperimentRun>[] = [
  { header: "Run", cell: (r) => <RunLink runId={r.runId} /> },
  { header: "Version", className: "num", cell: (r) => <>v{r.version}</> },
  {
    header: "Status",
    cell: (r) => (
      <>
        {r.status}
        {r.cached && <span className="muted small"> (cached)</span>}
      </>
    ),
  },
  {
    header: "Requested",
    className: "num",
    cell: (r) => <When at={r.requestedAt} />,
  },
];

/** An experiment's runs, any version, newest first. */
export function ExperimentRuns({ runs }: { runs: readonly ExperimentRun[] }) {
  return (
    <section aria-labelledby="runs">
      <h2 id="runs">Runs</h2>
      {runs.length === 0 ? (
        <p className="muted">Not run yet.</p>
      ) : (
        <DataTable
          testId="experiment-runs"
          columns={COLUMNS}
          rows={runs}
          rowKey={(r) => r.runId}
        />
      )}
    </section>
  );
}
