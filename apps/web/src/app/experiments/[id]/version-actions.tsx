import Link from "next/link";
import {
  forkAction,
  runVersionAction,
} from "@/server/actions/experiment-actions";

/**
 * What a reader may do with a version: run it and fork it (approved
 * accounts), or learn what that takes (everyone else).
 */
export function VersionActions({
  experimentId,
  title,
  version,
  model,
  signedIn,
  approved,
}: {
  experimentId: string;
  title: string;
  version: number;
  model: string;
  signedIn: boolean;
  approved: boolean;
}) {
  return (
    <div className="actions">
      {approved ? (
        <form action={runVersionAction}>
          <input type="hidden" name="experimentId" value={experimentId} />
          <input type="hidden" name="version" value={version} />
          <button type="submit" data-testid="run-version">
            Run version {version} on {model}
          </button>
        </form>
      ) : (
        <p className="muted small">
          {signedIn ? (
            <>
              Running on hosted models needs{" "}
              <Link href="/apply">approved access</Link>.
            </>
          ) : (
            <>
              <Link href={`/signin?callbackUrl=/experiments/${experimentId}`}>
                Sign in
              </Link>{" "}
              to run or fork it.
            </>
          )}
        </p>
      )}
      {approved && (
        <ForkForm experimentId={experimentId} title={title} version={version} />
      )}
    </div>
  );
}

/** Forks a version into a new experiment of the reader's, private unless they choose otherwise. */
function ForkForm({
  experimentId,
  title,
  version,
}: {
  experimentId: string;
  title: string;
  version: number;
}) {
  return (
    <details className="inline-form">
      <summary className="button secondary">Fork…</summary>
      <form action={forkAction} className="form">
        <input type="hidden" name="experimentId" value={experimentId} />
        <input type="hidden" name="version" value={version} />
        <label>
          Title
          <input
            name="title"
            defaultValue={`${title} (fork)`}
            maxLength={200}
          />
        </label>
        <label>
          Visibility
          <select name="visibility" defaultValue="private">
            <option value="private">private</option>
            <option value="unlisted">unlisted</option>
            <option value="public">public</option>
          </select>
        </label>
        <button type="submit" data-testid="fork">
          Fork version {version}
        </button>
      </form>
    </details>
  );
}
