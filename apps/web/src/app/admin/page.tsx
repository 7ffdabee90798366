import type { Metadata } from "next";
import Link from "next/link";
import { forbidden } from "next/navigation";
import {
  disableAccountAction,
  enableAccountAction,
  hostModelAction,
  revokeUserKeysAction,
  reviewAction,
  setQuotaAction,
  unhostModelAction,
} from "@/server/actions/admin-actions";
import { requireAccount } from "@/server/session";
import { AccessBadge } from "@/components/access-badge";
import { FormMessage } from "@/components/form-message";
import { UsageChart, type UsageDay } from "@/components/admin/usage-chart";
import { When } from "@/components/when";
import { EngineMemory } from "@/components/models/engine-memory";
import { HostingState } from "@/components/models/hosting-state";
import { formatBytes } from "@/lib/format-bytes";
import { QuotaFields } from "./quota-fields";

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
      caller.admin.usageHistory({ days: 30 }),
      caller.admin.workers(),
      caller.models.list(),
      caller.admin.accounts(),
    ]);
  const accessOf = new Map(accounts.map((a) => [a.userId, a.access]));
  const disabledOf = new Map(accounts.map((a) => [a.userId, a.disabledAt]));
  return (
    <section className="page">
      <h1>Administration</h1>
      <FormMessage error={error} notice={notice} />

      <h2>Access applications</h2>
      {pending.length === 0 ? (
        <p className="muted" data-testid="no-applications">
          No application is waiting.
        </p>
      ) : (
        <ul className="plain applications" data-testid="applications">
          {pending.map((a) => (
            <li
              key={a.userId}
              className="card"
              data-testid="application"
              data-email={a.email}
            >
              <h3>
                {a.name} <span className="muted small">{a.email}</span>
              </h3>
              <dl className="facts">
                <dt>Affiliation</dt>
                <dd>{a.application.affiliation}</dd>
                <dt>Purpose</dt>
                <dd>{a.application.purpose}</dd>
                <dt>Models</dt>
                <dd>{a.application.modelsWanted?.join(", ") || "not said"}</dd>
                <dt>Expected usage</dt>
                <dd>{a.application.expectedUsage || "not said"}</dd>
                <dt>Submitted</dt>
                <dd>
                  <When at={a.submittedAt} />
                </dd>
              </dl>
              <form action={reviewAction} className="filters">
                <input type="hidden" name="userId" value={a.userId} />
                <input type="hidden" name="email" value={a.email} />
                <input type="hidden" name="decision" value="approve" />
                <QuotaFields idPrefix={`approve-${a.userId}`} />
                <button type="submit" data-testid="approve">
                  Approve <span className="visually-hidden">{a.email}</span>
                </button>
              </form>
              <form action={reviewAction} className="filters">
                <input type="hidden" name="userId" value={a.userId} />
                <input type="hidden" name="email" value={a.email} />
                <input type="hidden" name="decision" value="reject" />
                <label>
                  Reason
                  <input
                    name="reason"
                    required
                    placeholder="told to the applicant"
                  />
                </label>
                <button type="submit" className="danger" data-testid="reject">
                  Reject <span className="visually-hidden">{a.email}</span>
                </button>
              </form>
            </li>
          ))}
        </ul>
      )}

      <h2>Hosted models</h2>
      <p className="muted">
        Host a model while Loupe runs: give the path of its <code>.onnx</code>{" "}
        (imported with <code>loupe models import</code>, its manifest beside it)
        on storage the workers share, or its <code>s3://</code> URL in the
        result store. Only the location is sent; the workers read the files. Or
        from a shell: <code>loupe models host &lt;path-or-url&gt;</code>.
      </p>
      <form
        action={hostModelAction}
        className="filters"
        data-testid="host-model"
      >
        <label>
          Name
          <input
            name="name"
            required
            maxLength={100}
            pattern="[A-Za-z0-9][A-Za-z0-9._\-]*"
            placeholder="the name in its manifest"
          />
        </label>
        <label>
          Files
          <input
            name="source"
            required
            size={48}
            placeholder="/models/gpt2/model.onnx or s3://bucket/gpt2/model.onnx"
          />
        </label>
        <button type="submit" data-testid="host-model-submit">
          Host
        </button>
      </form>
      <table className="grid" data-testid="admin-models">
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col">State</th>
            <th scope="col">Workers</th>
            <th scope="col">Queued</th>
            <th scope="col">Running</th>
            <th scope="col">Engine memory</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {models.map((m) => (
            <tr key={m.name} data-testid="admin-model-row" data-model={m.name}>
              <td>
                <Link href={`/models/${encodeURIComponent(m.name)}`}>
                  {m.name}
                </Link>
              </td>
              <td>
                <HostingState model={m} />
              </td>
              <td className="num">{m.workers}</td>
              <td className="num">{m.queued}</td>
              <td className="num">{m.running}</td>
              <td>
                <EngineMemory memory={m.memory} />
              </td>
              <td>
                {m.state !== "unhosted" && (
                  <form action={unhostModelAction}>
                    <input type="hidden" name="name" value={m.name} />
                    <button
                      type="submit"
                      className="danger"
                      data-testid="unhost-model"
                    >
                      Unhost <span className="visually-hidden">{m.name}</span>
                    </button>
                  </form>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Workers and queues</h2>
      <table className="grid" data-testid="workers">
        <thead>
          <tr>
            <th scope="col">Worker</th>
            <th scope="col">Task queues</th>
            <th scope="col">Models</th>
            <th scope="col">Memory</th>
            <th scope="col">Up since</th>
            <th scope="col">Last heartbeat</th>
          </tr>
        </thead>
        <tbody>
          {workers.length === 0 && (
            <tr>
              <td colSpan={6}>No worker heartbeat in the last 30 seconds.</td>
            </tr>
          )}
          {workers.map((w) => (
            <tr key={w.id}>
              <td>
                <code>{w.hostname}</code> pid {w.pid}
              </td>
              <td className="small">{w.taskQueues.join(", ")}</td>
              <td className="small">{w.models.join(", ")}</td>
              <td className="small">
                <WorkerMemoryBudget memory={w.memory ?? null} />
              </td>
              <td className="num">
                <When at={w.startedAt} />
              </td>
              <td className="num">
                <When at={w.lastSeenAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Usage over time</h2>
      {history.length === 0 ? (
        <p className="muted">No runs in the last 30 days.</p>
      ) : (
        <>
          <UsageChart days={everyDay(history, 30)} />
          <table className="grid" data-testid="usage-history">
            <thead>
              <tr>
                <th scope="col">Day (UTC)</th>
                <th scope="col">Runs</th>
                <th scope="col">Compute seconds</th>
                <th scope="col">Result bytes</th>
              </tr>
            </thead>
            <tbody>
              {history.map((h) => (
                <tr key={h.day}>
                  <td>{h.day}</td>
                  <td className="num">{h.runs}</td>
                  <td className="num">{h.computeSeconds.toFixed(2)}</td>
                  <td className="num">{h.resultBytes.toLocaleString("en")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}

      <h2>Users and quotas</h2>
      <table className="grid" data-testid="users">
        <thead>
          <tr>
            <th scope="col">Account</th>
            <th scope="col">Access</th>
            <th scope="col">Today</th>
            <th scope="col">Quota</th>
            <th scope="col">Sign-in</th>
          </tr>
        </thead>
        <tbody>
          {usage.map((u) => (
            <tr key={u.userId} data-testid="user-row" data-email={u.email}>
              <td>{u.email}</td>
              <td>
                <AccessBadge access={accessOf.get(u.userId) ?? "none"} />
              </td>
              <td className="small">
                {u.runsToday} runs · {u.secondsToday.toFixed(1)} s ·{" "}
                {u.activeRuns} active
              </td>
              <td>
                <form action={setQuotaAction} className="filters compact">
                  <input type="hidden" name="userId" value={u.userId} />
                  <input type="hidden" name="email" value={u.email} />
                  <QuotaFields
                    idPrefix={`quota-${u.userId}`}
                    {...(u.limits ? { quota: u.limits } : {})}
                  />
                  <button type="submit" className="secondary">
                    Save{" "}
                    <span className="visually-hidden">quota of {u.email}</span>
                  </button>
                </form>
              </td>
              <td>
                <AccountControls
                  userId={u.userId}
                  email={u.email}
                  self={u.userId === me.userId}
                  disabledAt={disabledOf.get(u.userId) ?? null}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/**
 * Disable or enable an account, and revoke its API keys: disabling ends its
 * sessions, sign-in links and keys at once (administrators cannot disable
 * themselves).
 */
function AccountControls({
  userId,
  email,
  self,
  disabledAt,
}: {
  userId: string;
  email: string;
  self: boolean;
  disabledAt: Date | null;
}) {
  return (
    <div className="filters compact">
      {disabledAt ? (
        <form action={enableAccountAction}>
          <input type="hidden" name="userId" value={userId} />
          <input type="hidden" name="email" value={email} />
          <span className="small" data-testid="account-disabled">
            disabled <When at={disabledAt} />
          </span>{" "}
          <button type="submit" className="secondary">
            Enable <span className="visually-hidden">{email}</span>
          </button>
        </form>
      ) : (
        !self && (
          <form action={disableAccountAction}>
            <input type="hidden" name="userId" value={userId} />
            <input type="hidden" name="email" value={email} />
            <label htmlFor={`disable-reason-${userId}`}>Reason</label>
            <input
              id={`disable-reason-${userId}`}
              name="reason"
              required
              maxLength={500}
            />
            <button type="submit" className="danger">
              Disable <span className="visually-hidden">{email}</span>
            </button>
          </form>
        )
      )}
      <form action={revokeUserKeysAction}>
        <input type="hidden" name="userId" value={userId} />
        <input type="hidden" name="email" value={email} />
        <button type="submit" className="secondary">
          Revoke API keys <span className="visually-hidden">of {email}</span>
        </button>
      </form>
    </div>
  );
}

/** A worker's memory budget for model weights and what its models take of it. */
function WorkerMemoryBudget({
  memory,
}: {
  memory: { budgetBytes: number | null; admittedBytes: number } | null;
}) {
  if (!memory) return <span className="muted">not reported</span>;
  return (
    <>
      weights {formatBytes(memory.admittedBytes)}
      {memory.budgetBytes === null
        ? " (no budget)"
        : ` of ${formatBytes(memory.budgetBytes)}`}
    </>
  );
}

/** The last `days` UTC days, oldest first, with zeros for days without runs. */
function everyDay(history: UsageDay[], days: number): UsageDay[] {
  const byDay = new Map(history.map((h) => [h.day, h]));
  return Array.from({ length: days }, (_, i) => {
    const day = new Date(Date.now() - (days - 1 - i) * 86_400_000)
      .toISOString()
      .slice(0, 10);
    return byDay.get(day) ?? { day, runs: 0, computeSeconds: 0 };
  });
}
