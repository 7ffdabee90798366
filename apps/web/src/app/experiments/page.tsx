import type { Metadata } from "next";
import Link from "next/link";
import { requireAccount } from "@/server/session";
import { DataTable, type Column } from "@/components/data-table";
import { When } from "@/components/when";
import type { CallerOutputs } from "@/lib/api-outputs";

export const metadata: Metadata = { title: "Your experiments" };
export const dynamic = "force-dynamic";

type Experiment = CallerOutputs["experiments"]["mine"][number];

const COLUMNS: Column<Experiment>[] = [
  {
    header: "Title",
    cell: (e) => (
      <>
        <Link href={`/experiments/${e.id}`}>{e.title}</Link>
        {e.forkedFrom && <span className="muted small"> fork</span>}
      </>
    ),
  },
  {
    header: "Visibility",
    cell: (e) => (
      <span className={`pill visibility-${e.visibility}`}>{e.visibility}</span>
    ),
  },
  { header: "Version", className: "num", cell: (e) => <>v{e.latestVersion}</> },
  { header: "Stars", className: "num", cell: (e) => e.stars },
  {
    header: "Updated",
    className: "num",
    cell: (e) => <When at={e.updatedAt} />,
  },
];

export default async function MyExperimentsPage() {
  const { caller } = await requireAccount("/experiments");
  const mine = await caller.experiments.mine();
  return (
    <section className="page">
      <h1>Your experiments</h1>
      <p className="muted">
        Push one from a script (<code>loupe experiments push</code>) or fork one
        from the <Link href="/gallery">gallery</Link>.
      </p>
      {mine.length === 0 ? (
        <p>None yet.</p>
      ) : (
        <DataTable
          testId="my-experiments"
          columns={COLUMNS}
          rows={mine}
          rowKey={(e) => e.id}
        />
      )}
    </section>
  );
}
