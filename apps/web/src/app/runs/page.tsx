import type { Metadata } from "next";
import Link from "next/link";
import { requireAccount } from "@/server/session";
import { DataTable, type Column } from "@/components/data-table";
import { RunLink } from "@/components/runs/run-link";
import { When } from "@/components/when";
import type { CallerOutputs } from "@/lib/api-outputs";

export const metadata: Metadata = { title: "Runs" };
export const dynamic = "force-dynamic";

type Run = CallerOutputs["runs"]["list"][number];

const COLUMNS: Column<Run>[] = [
  { header: "Run", cell: (r) => <RunLink runId={r.runId} /> },
  { header: "Model", cell: (r) => r.model },
  {
    header: "Status",
    cell: (r) => (
      <>
        <span className={`pill run-${r.status}`}>{r.status}</span>
        {r.cached && <span className="muted small"> cached</span>}
      </>
    ),
  },
  {
    header: "Requested",
    className: "num",
    cell: (r) => <When at={r.requestedAt} />,
  },
  {
    header: "Experiment",
    cell: (r) =>
      r.experiment ? (
        <Link
          href={`/experiments/${r.experiment.experimentId}?v=${r.experiment.version}`}
        >
          v{r.experiment.version}
        </Link>
      ) : (
        <span className="muted">ad hoc</span>
      ),
  },
];

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
        <DataTable
          testId="runs"
          columns={COLUMNS}
          rows={runs}
          rowKey={(r) => r.runId}
          rowData={(r) => ({
            "data-testid": "run-row",
            "data-run-id": r.runId,
          })}
        />
      )}
    </section>
  );
}
