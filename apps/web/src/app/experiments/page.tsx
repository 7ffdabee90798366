import type { Metadata } from "next";
import Link from "next/link";
import { requireAccount } from "@/server/session";
import { When } from "@/components/when";

export const metadata: Metadata = { title: "Your experiments" };
export const dynamic = "force-dynamic";

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
        <table className="grid" data-testid="my-experiments">
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col">Visibility</th>
              <th scope="col">Version</th>
              <th scope="col">Stars</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {mine.map((e) => (
              <tr key={e.id}>
                <td>
                  <Link href={`/experiments/${e.id}`}>{e.title}</Link>
                  {e.forkedFrom && <span className="muted small"> fork</span>}
                </td>
                <td>
                  <span className={`pill visibility-${e.visibility}`}>
                    {e.visibility}
                  </span>
                </td>
                <td className="num">v{e.latestVersion}</td>
                <td className="num">{e.stars}</td>
                <td className="num">
                  <When at={e.updatedAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
