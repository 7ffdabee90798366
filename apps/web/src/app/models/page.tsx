import type { Metadata } from "next";
import Link from "next/link";
import { getServerCaller } from "@/server/caller";
import { When } from "@/components/when";
import { EngineMemory } from "@/components/models/engine-memory";
import { HostingState } from "@/components/models/hosting-state";

export const metadata: Metadata = { title: "Models" };
export const dynamic = "force-dynamic";

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
        <table className="grid" data-testid="models">
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">State</th>
              <th scope="col">Workers online</th>
              <th scope="col">Queued</th>
              <th scope="col">Running</th>
              <th scope="col">Engine memory</th>
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
                  {m.hash && (
                    <div className="muted small">
                      <code>{m.hash.slice(0, 19)}…</code>
                    </div>
                  )}
                </td>
                <td>
                  <HostingState model={m} />
                </td>
                <td className="num" data-testid="model-workers">
                  {m.workers}
                </td>
                <td className="num" data-testid="model-queued">
                  {m.queued}
                </td>
                <td className="num">{m.running}</td>
                <td>
                  <EngineMemory memory={m.memory} />
                </td>
                <td className="num">
                  {m.registeredAt ? <When at={m.registeredAt} /> : "—"}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
