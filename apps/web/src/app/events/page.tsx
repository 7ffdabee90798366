import type { Metadata } from "next";
import { forbidden } from "next/navigation";
import { requireAccount } from "@/server/session";
import { DataTable, type Column } from "@/components/data-table";
import type { CallerOutputs } from "@/lib/api-outputs";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Events" };

type StoredEvent = CallerOutputs["system"]["recentEvents"][number];

const COLUMNS: Column<StoredEvent>[] = [
  { header: "Position", className: "num", cell: (e) => e.position },
  {
    header: "Time (UTC)",
    cell: (e) => (
      <time dateTime={e.time}>{e.time.replace("T", " ").slice(0, 19)}</time>
    ),
  },
  { header: "Stream", cell: (e) => <code>{e.stream}</code> },
  { header: "Version", className: "num", cell: (e) => e.version },
  { header: "Type", cell: (e) => e.type },
  {
    header: "Payload",
    cell: (e) => <code className="payload">{JSON.stringify(e.payload)}</code>,
  },
];

export default async function EventsPage() {
  // The event log holds every account's private graphs: administrators only.
  // Anyone else is sent to sign in, or answered 403 (app/forbidden.tsx).
  const { caller, me } = await requireAccount("/events");
  if (me.role !== "admin") forbidden();
  const events = await caller.system.recentEvents({ limit: 50 });
  return (
    <section className="page">
      <h1>Event log</h1>
      <p className="muted">
        The newest events in PostgreSQL, the platform's source of truth.
      </p>
      {events.length === 0 ? (
        <p data-testid="events-empty">No events yet.</p>
      ) : (
        <DataTable
          testId="events-table"
          columns={COLUMNS}
          rows={events}
          rowKey={(e) => e.position}
          rowData={(e) => ({
            "data-testid": "event-row",
            "data-stream": e.stream,
          })}
        />
      )}
    </section>
  );
}
