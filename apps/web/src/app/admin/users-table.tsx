import { setQuotaAction } from "@/server/actions/admin-actions";
import { AccessBadge } from "@/components/access-badge";
import { DataTable, type Column } from "@/components/data-table";
import type { CallerOutputs } from "@/lib/api-outputs";
import { AccountControls } from "./account-controls";
import { QuotaFields } from "./quota-fields";

type Usage = CallerOutputs["admin"]["usage"][number];
type Account = CallerOutputs["admin"]["accounts"][number];

/**
 * Every account with its access, today's use and its quota (a form to change
 * it), and the controls to disable it or revoke its keys.
 */
export function UsersTable({
  usage,
  accounts,
  selfId,
}: {
  usage: readonly Usage[];
  accounts: readonly Account[];
  /** The administrator looking, who may not disable themselves. */
  selfId: string;
}) {
  const accessOf = new Map(accounts.map((a) => [a.userId, a.access]));
  const disabledOf = new Map(accounts.map((a) => [a.userId, a.disabledAt]));
  const columns: Column<Usage>[] = [
    { header: "Account", cell: (u) => u.email },
    {
      header: "Access",
      cell: (u) => <AccessBadge access={accessOf.get(u.userId) ?? "none"} />,
    },
    {
      header: "Today",
      className: "small",
      cell: (u) => (
        <>
          {u.runsToday} runs · {u.secondsToday.toFixed(1)} s · {u.activeRuns}{" "}
          active
        </>
      ),
    },
    { header: "Quota", cell: (u) => <QuotaForm usage={u} /> },
    {
      header: "Sign-in",
      cell: (u) => (
        <AccountControls
          userId={u.userId}
          email={u.email}
          self={u.userId === selfId}
          disabledAt={disabledOf.get(u.userId) ?? null}
        />
      ),
    },
  ];
  return (
    <DataTable
      testId="users"
      columns={columns}
      rows={usage}
      rowKey={(u) => u.userId}
      rowData={(u) => ({ "data-testid": "user-row", "data-email": u.email })}
    />
  );
}

/** An account's quota as a form, its current limits filled in. */
function QuotaForm({ usage: u }: { usage: Usage }) {
  return (
    <form action={setQuotaAction} className="filters compact">
      <input type="hidden" name="userId" value={u.userId} />
      <input type="hidden" name="email" value={u.email} />
      <QuotaFields
        idPrefix={`quota-${u.userId}`}
        {...(u.limits ? { quota: u.limits } : {})}
      />
      <button type="submit" className="secondary">
        Save <span className="visually-hidden">quota of {u.email}</span>
      </button>
    </form>
  );
}
