import type { Metadata } from "next";
import Link from "next/link";
import { getServerCaller } from "@/server/caller";
import { DataTable, type Column } from "@/components/data-table";
import { When } from "@/components/when";
import { EngineMemory } from "@/components/models/engine-memory";
import { HostingState } from "@/components/models/hosting-state";
import type { CallerOutputs } from "@/lib/api-outputs";

export const metadata: Metadata = { title: "Models" };
export const dynamic = "force-dynamic";

type Model = CallerOutputs["models"]["list"][number];

const COLUMNS: Column<Model>[] = [
  {
    header: "Model",
    cell: (m) => (
      <>
        <Link href={`/models/${encodeURIComponent(m.name)}`}>{m.name}</Link>
        {m.hash && (
          <div className="muted small">
            <code>{m.hash.slice(0, 19)}…</code>
          </div>
        )}
      </>
    ),
  },
  { header: "State", cell: (m) => <HostingState model={m} /> },
  {
    header: "Workers online",
    className: "num",
    data: { "data-testid": "model-workers" },
    cell: (m) => m.workers,
  },
  {
    header: "Queued",
    className: "num",
    data: { "data-testid": "model-queued" },
    cell: (m) => m.queued,
  },
  { header: "Running", className: "num", cell: (m) => m.running },
  { header: "Engine memory", cell: (m) => <EngineMemory memory={m.memory} /> },
  {
    header: "Registered",
    className: "num",
    cell: (m) => (m.registeredAt ? <When at={m.registeredAt} /> : "—"),
  },
];

export default async function ModelsPage() {
  const caller = await getServerCaller();
  const models = await caller.models.list();
  return (
    <section className="page">
      <h1>Hosted models</h1>
      <p className="muted">
        Models that workers host, and where hosting each stands: requested by an
        administrator, loading, online, refused (over a worker&apos;s memory
        budget) or failed, unhosted. Runs on one model are batched together:
        different users&apos; graphs share a forward pass.
      </p>
      {models.length === 0 ? (
        <p>
          No model is hosted yet: start a worker, or host one from the admin
          page.
        </p>
      ) : (
        <DataTable
          testId="models"
          columns={COLUMNS}
          rows={models}
          rowKey={(m) => m.name}
          rowData={(m) => ({
            "data-testid": "model-row",
            "data-model": m.name,
          })}
        />
      )}
    </section>
  );
}
