import { formatBytes } from "@/lib/format-bytes";
import type { CallerOutputs } from "@/lib/api-outputs";
import { DataTable, type Column } from "@/components/data-table";
import { When } from "@/components/when";

/** One hosting event of a model, as models.hosting lists it. */
type HostingEvent = CallerOutputs["models"]["hosting"]["events"][number];

/** What an event says beyond its type: bytes loaded, needed or freed, or its reason. */
function detailOf(e: HostingEvent): string {
  if (e.reason) return e.reason;
  if (e.type === "loading" && e.totalBytes !== null)
    return `${formatBytes(e.loadedBytes ?? 0)} of ${formatBytes(e.totalBytes)}`;
  if (e.type === "online" && e.weightBytes !== null)
    return `weights ${formatBytes(e.weightBytes)}`;
  if (e.type === "unloaded" && e.weightBytes !== null)
    return `freed ${formatBytes(e.weightBytes)}`;
  return "";
}

const COLUMNS: Column<HostingEvent>[] = [
  { header: "When", className: "num", cell: (e) => <When at={e.at} /> },
  { header: "Event", cell: (e) => e.type.replace("_", " ") },
  {
    header: "Worker",
    className: "small",
    cell: (e) => (e.workerId ? <code>{e.workerId}</code> : "—"),
  },
  { header: "Detail", className: "small", cell: detailOf },
];

/** A model's hosting events, oldest first: each state with its worker and reason. */
export function HostingHistory({
  events,
}: {
  events: readonly HostingEvent[];
}) {
  if (events.length === 0)
    return (
      <p className="muted">
        No hosting events: a worker hosts this model from its configuration.
      </p>
    );
  return (
    <DataTable
      testId="hosting-history"
      columns={COLUMNS}
      rows={events}
      rowKey={(_, i) => i}
      rowData={(e) => ({ "data-event": e.type })}
    />
  );
}
