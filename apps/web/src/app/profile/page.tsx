import type { Metadata } from "next";
import Link from "next/link";
import { requireAccount } from "@/server/session";
import { AccessBadge } from "@/components/access-badge";
import { QuotaTable } from "@/components/quota-table";
import { RunLink } from "@/components/runs/run-link";
import { FormMessage } from "@/components/form-message";
import { resetPasswordAction } from "@/server/actions/account-actions";

export const metadata: Metadata = { title: "Profile" };
export const dynamic = "force-dynamic";

export default async function ProfilePage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | undefined>>;
}) {
  const { error, notice } = await searchParams;
  const { caller, me } = await requireAccount("/profile");
  const [experiments, runs] = await Promise.all([
    caller.experiments.mine(),
    caller.runs.list({ limit: 5 }),
  ]);
  return (
    <section className="page">
      <h1>{me.name}</h1>
      <FormMessage error={error} notice={notice} />
      <dl className="facts">
        <dt>Email</dt>
        <dd data-testid="profile-email">{me.email}</dd>
        <dt>Role</dt>
        <dd>{me.role}</dd>
        <dt>Hosted models</dt>
        <dd>
          <AccessBadge access={me.access} />{" "}
          {me.access !== "approved" && (
            <Link href="/apply">access application</Link>
          )}
        </dd>
      </dl>
      <h2>Quota</h2>
      <QuotaTable standing={me.quota} />
      <h2>Your experiments</h2>
      {experiments.length === 0 ? (
        <p className="muted">
          None yet: fork one from the <Link href="/gallery">gallery</Link>, or
          push one with <code>loupe experiments push</code>.
        </p>
      ) : (
        <ul className="plain">
          {experiments.map((e) => (
            <li key={e.id}>
              <Link href={`/experiments/${e.id}`}>{e.title}</Link>{" "}
              <span className="muted small">
                v{e.latestVersion} · {e.visibility}
              </span>
            </li>
          ))}
        </ul>
      )}
      <h2>Recent runs</h2>
      {runs.length === 0 ? (
        <p className="muted">No runs yet.</p>
      ) : (
        <ul className="plain">
          {runs.map((r) => (
            <li key={r.runId}>
              <RunLink runId={r.runId} /> {r.model} · {r.status}
            </li>
          ))}
        </ul>
      )}
      <p>
        <Link href="/keys">API keys</Link> · <Link href="/runs">All runs</Link>
      </p>
      <h2>Password</h2>
      <PasswordForm />
    </section>
  );
}

/**
 * Sets a new password; the server then ends every session of the account,
 * so the form says so before it is sent.
 */
function PasswordForm() {
  return (
    <>
      <p className="muted small">
        A new password ends every session of your account, this one too, and
        revokes its API keys and unused sign-in links.
      </p>
      <form action={resetPasswordAction} className="form">
        <label htmlFor="new-password">New password</label>
        <input
          id="new-password"
          name="newPassword"
          type="password"
          autoComplete="new-password"
          minLength={10}
          maxLength={200}
          required
        />
        <label htmlFor="confirm-password">The same again</label>
        <input
          id="confirm-password"
          name="confirmPassword"
          type="password"
          autoComplete="new-password"
          minLength={10}
          maxLength={200}
          required
        />
        <button type="submit" className="danger">
          Set the new password and sign out everywhere
        </button>
      </form>
    </>
  );
}
