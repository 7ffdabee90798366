import type { Metadata } from "next";
import { forbidden } from "next/navigation";
import { requireAccount } from "@/server/session";
import { FormMessage } from "@/components/form-message";
import { AccessApplications } from "./access-applications";
import { HostedModels } from "./hosted-models";
import { USAGE_DAYS, UsageHistory } from "./usage-history";
import { UsersTable } from "./users-table";
import { WorkersTable } from "./workers-table";

export const metadata: Metadata = { title: "Administration" };
export const dynamic = "force-dynamic";

export default async function AdminPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | undefined>>;
}) {
  const { error, notice } = await searchParams;
  const { caller, me } = await requireAccount("/admin");
  // A 403 (app/forbidden.tsx), not a page that says so with a 200.
  if (me.role !== "admin") forbidden();
  const [pending, usage, history, workers, models, accounts] =
    await Promise.all([
      caller.applications.pending(),
      caller.admin.usage({}),
      caller.admin.usageHistory({ days: USAGE_DAYS }),
      caller.admin.workers(),
      caller.models.list(),
      caller.admin.accounts(),
    ]);
  return (
    <section className="page">
      <h1>Administration</h1>
      <FormMessage error={error} notice={notice} />
      <h2>Access applications</h2>
      <AccessApplications pending={pending} />
      <h2>Hosted models</h2>
      <HostedModels models={models} />
      <h2>Workers and queues</h2>
      <WorkersTable workers={workers} />
      <h2>Usage over time</h2>
      <UsageHistory history={history} />
      <h2>Users and quotas</h2>
      <UsersTable usage={usage} accounts={accounts} selfId={me.userId} />
    </section>
  );
}
