import type { Metadata } from "next";
import Link from "next/link";
import { applyAction } from "@/server/actions/account-actions";
import { requireAccount } from "@/server/session";
import { AccessBadge } from "@/components/access-badge";
import { FormMessage } from "@/components/form-message";

export const metadata: Metadata = { title: "Access application" };
export const dynamic = "force-dynamic";

export default async function ApplyPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | undefined>>;
}) {
  const { error, notice } = await searchParams;
  const { caller, me } = await requireAccount("/apply");
  const models = await caller.models.list();
  const canApply = me.access === "none" || me.access === "rejected";
  return (
    <section className="page narrow">
      <h1>Access to hosted models</h1>
      <p>
        Your application: <AccessBadge access={me.access} />
      </p>
      <FormMessage error={error} notice={notice} />
      {me.access === "approved" && (
        <p>
          You may run graphs on Loupe&apos;s hosted models. Next:{" "}
          <Link href="/keys">create an API key</Link> for your scripts.
        </p>
      )}
      {me.access === "pending" && (
        <p>
          An administrator will review your application. You can browse and fork
          the <Link href="/gallery">gallery</Link> meanwhile.
        </p>
      )}
      {me.access === "rejected" && me.rejectionReason && (
        <p data-testid="rejection-reason">
          The reviewer said: <q>{me.rejectionReason}</q> You may apply again.
        </p>
      )}
      {canApply && (
        <form action={applyAction} className="form">
          <label>
            Affiliation
            <input
              name="affiliation"
              required
              maxLength={200}
              placeholder="University, lab or company"
            />
          </label>
          <label>
            Research purpose
            <textarea
              name="purpose"
              required
              minLength={10}
              rows={5}
              placeholder="What you will study, in a sentence or two"
            />
          </label>
          <fieldset>
            <legend>Models you want</legend>
            {models.length === 0 && (
              <p className="muted">No model is hosted yet.</p>
            )}
            {models.map((m) => (
              <label key={m.name} className="check">
                <input
                  type="checkbox"
                  name="modelsWanted"
                  value={m.name}
                  defaultChecked
                />
                {m.name}
              </label>
            ))}
          </fieldset>
          <label>
            Expected usage
            <textarea
              name="expectedUsage"
              rows={3}
              maxLength={2000}
              placeholder="Roughly how many runs, how large, how often"
            />
          </label>
          <button type="submit">Submit application</button>
        </form>
      )}
    </section>
  );
}
