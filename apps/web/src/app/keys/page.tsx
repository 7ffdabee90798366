import type { Metadata } from "next";
import { revokeKeyAction } from "@/server/actions/key-actions";
import { requireAccount } from "@/server/session";
import { requestOrigin } from "@/server/request-origin";
import { FormMessage } from "@/components/form-message";
import { When } from "@/components/when";
import { CreateKeyForm } from "./create-key-form";

export const metadata: Metadata = { title: "API keys" };
export const dynamic = "force-dynamic";

export default async function KeysPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | undefined>>;
}) {
  const { error, notice } = await searchParams;
  const { caller, me } = await requireAccount("/keys");
  const keys = await caller.keys.list();
  const origin = await requestOrigin();
  return (
    <section className="page">
      <h1>API keys</h1>
      <p className="muted">
        Scripts and the <code>loupe</code> CLI act as you with a key, within its
        scopes. Revoke a key the moment you no longer trust where it is.
      </p>
      <FormMessage error={error} notice={notice} />
      <h2>New key</h2>
      <CreateKeyForm origin={origin} admin={me.role === "admin"} />
      <h2>Your keys</h2>
      {keys.length === 0 ? (
        <p className="muted">No keys yet.</p>
      ) : (
        <table className="grid" data-testid="keys">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Prefix</th>
              <th scope="col">Scopes</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k.keyId} data-testid="key-row" data-prefix={k.prefix}>
                <td>{k.name}</td>
                <td>
                  <code>{k.prefix}…</code>
                </td>
                <td className="small">{k.scopes.join(", ")}</td>
                <td className="num">
                  <When at={k.createdAt} />
                </td>
                <td className="num" data-testid="key-last-used">
                  {k.lastUsedAt ? <When at={k.lastUsedAt} /> : "never"}
                </td>
                <td>
                  {k.revokedAt ? (
                    <span className="pill access-rejected">revoked</span>
                  ) : (
                    <form action={revokeKeyAction}>
                      <input type="hidden" name="keyId" value={k.keyId} />
                      <button type="submit" className="danger small-button">
                        Revoke <span className="visually-hidden">{k.name}</span>
                      </button>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
