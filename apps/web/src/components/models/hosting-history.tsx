import { formatBytes } from "@/lib/format-bytes";
import { When } from "@/components/when";

/** One hosting event of a model, as models.hosting lists it. */
export interface HostingEvent {
  type: string;
  at: Date | string;
  workerId: string | null;
  reason: string | null;
  loadedBytes: number | null;
  totalBytes: number | null;
  weightBytes: number | null;
  neededBytes: number | null;
  availableBytes: number | null;
}

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

/** A model's hosting events, oldest first: each state with its worker and reason. */
export function HostingHistory({ events }: { events: HostingEvent[] }) {
  if (events.length === 0)
    return (
      <p className="muted">
        No hosting events: a worker hosts this model from its configuration.
      </p>
    );
  return (
    <table className="grid" data-testid="hosting-history">
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Event</th>
          <th scope="col">Worker</th>
          <th scope="col">Detail</th>
        </tr>
      </thead>
      <tbody>
        {events.map((e, i) => (
          <tr key={i} data-event={e.type}>
            <td className="num">
              <When at={e.at} />
            </td>
            <td>{e.type.replace("_", " ")}</td>
            <td className="small">
              {e.workerId ? <code>{e.workerId}</code> : "—"}
            </td>
            <td className="small">{detailOf(e)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
