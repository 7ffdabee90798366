import type { Metadata } from "next";
import Link from "next/link";
import { getServerCaller } from "@/server/caller";
import { When } from "@/components/when";

export const metadata: Metadata = { title: "Models" };
export const dynamic = "force-dynamic";

export default async function ModelsPage() {
  const caller = await getServerCaller();
  const models = await caller.models.list();
  return (
    <section className="page">
      <h1>Hosted models</h1>
      <p className="muted">
        Models that workers registered. Runs on one model are batched together:
        different users&apos; graphs share a forward pass.
      </p>
      {models.length === 0 ? (
        <p>No model is registered yet: start a worker.</p>
      ) : (
        <table className="grid" data-testid="models">
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">State</th>
              <th scope="col">Workers online</th>
              <th scope="col">Queued</th>
              <th scope="col">Running</th>
              <th scope="col">Registered</th>
            </tr>
          </thead>
          <tbody>
            {models.map((m) => (
              <tr key={m.name} data-testid="model-row" data-model={m.name}>
                <td>
                  <Link href={`/models/${encodeURIComponent(m.name)}`}>
                    {m.name}
                  </Link>
                  <div className="muted small">
                    <code>{m.hash.slice(0, 19)}…</code>
                  </div>
                </td>
                <td>
                  {m.workers > 0 ? (
                    <span className="pill access-approved">online</span>
                  ) : (
                    <span className="pill access-rejected">no worker</span>
                  )}
                </td>
                <td className="num" data-testid="model-workers">
                  {m.workers}
                </td>
                <td className="num" data-testid="model-queued">
                  {m.queued}
                </td>
                <td className="num">{m.running}</td>
                <td className="num">
                  <When at={m.registeredAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
