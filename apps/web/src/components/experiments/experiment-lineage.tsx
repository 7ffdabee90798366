import Link from "next/link";
import { setVisibilityAction } from "@/server/actions/experiment-actions";
import type { CallerOutputs } from "@/lib/api-outputs";

/** Forks the reader may see, and (for the owner) who may see this experiment. */
export function ExperimentLineage({
  experimentId,
  forks,
  owner,
  visibility,
}: {
  experimentId: string;
  forks: CallerOutputs["experiments"]["get"]["forkList"];
  owner: boolean;
  visibility: string;
}) {
  return (
    <section aria-labelledby="lineage">
      <h2 id="lineage">Forks and sharing</h2>
      {forks.length === 0 ? (
        <p className="muted">No forks you can see.</p>
      ) : (
        <ul className="plain" data-testid="forks">
          {forks.map((f) => (
            <li key={f.experimentId}>
              <Link href={`/experiments/${f.experimentId}`}>{f.title}</Link>{" "}
              <span className="muted small">
                from version {f.fromVersion} · {f.visibility}
              </span>
            </li>
          ))}
        </ul>
      )}
      {owner && (
        <form action={setVisibilityAction} className="filters">
          <input type="hidden" name="experimentId" value={experimentId} />
          <label>
            Visibility
            <select name="visibility" defaultValue={visibility}>
              <option value="private">private: only you</option>
              <option value="unlisted">unlisted: anyone with the link</option>
              <option value="public">public: listed in the gallery</option>
            </select>
          </label>
          <button type="submit" className="secondary">
            Change visibility
          </button>
        </form>
      )}
    </section>
  );
}
