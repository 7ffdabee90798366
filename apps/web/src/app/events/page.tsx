import type { Metadata } from "next";
import { forbidden } from "next/navigation";
import { requireAccount } from "@/server/session";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Events" };

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
        <table className="grid" data-testid="events-table">
          <thead>
            <tr>
              <th scope="col">Position</th>
              <th scope="col">Time (UTC)</th>
              <th scope="col">Stream</th>
              <th scope="col">Version</th>
              <th scope="col">Type</th>
              <th scope="col">Payload</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => (
              <tr
                key={e.position}
                data-testid="event-row"
                data-stream={e.stream}
              >
                <td className="num">{e.position}</td>
                <td>
                  <time dateTime={e.time}>
                    {e.time.replace("T", " ").slice(0, 19)}
                  </time>
                </td>
                <td>
                  <code>{e.stream}</code>
                </td>
                <td className="num">{e.version}</td>
                <td>{e.type}</td>
                <td>
                  <code className="payload">{JSON.stringify(e.payload)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
