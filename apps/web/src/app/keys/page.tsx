import type { Metadata } from "next";
import { revokeKeyAction } from "@/server/actions/key-actions";
import { requireAccount } from "@/server/session";
import { requestOrigin } from "@/server/request-origin";
import { FormMessage } from "@/components/form-message";
import { DataTable, type Column } from "@/components/data-table";
import { When } from "@/components/when";
import type { CallerOutputs } from "@/lib/api-outputs";
import { CreateKeyForm } from "./create-key-form";

export const metadata: Metadata = { title: "API keys" };
export const dynamic = "force-dynamic";

type ApiKey = CallerOutputs["keys"]["list"][number];

const COLUMNS: Column<ApiKey>[] = [
  { header: "Name", cell: (k) => k.name },
  { header: "Prefix", cell: (k) => <code>{k.prefix}…</code> },
  { header: "Scopes", className: "small", cell: (k) => k.scopes.join(", ") },
  {
    header: "Created",
    className: "num",
    cell: (k) => <When at={k.createdAt} />,
  },
  {
    header: "Last used",
    className: "num",
    data: { "data-testid": "key-last-used" },
    cell: (k) => (k.lastUsedAt ? <When at={k.lastUsedAt} /> : "never"),
  },
  {
    header: "State",
    cell: (k) =>
      k.revokedAt ? (
        <span className="pill access-rejected">revoked</span>
      ) : (
        <form action={revokeKeyAction}>
          <input type="hidden" name="keyId" value={k.keyId} />
          <button type="submit" className="danger small-button">
            Revoke <span className="visually-hidden">{k.name}</span>
          </button>
        </form>
      ),
  },
];

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
        <DataTable
          testId="keys"
          columns={COLUMNS}
          rows={keys}
          rowKey={(k) => k.keyId}
          rowData={(k) => ({
            "data-testid": "key-row",
            "data-prefix": k.prefix,
          })}
        />
      )}
    </section>
  );
}
