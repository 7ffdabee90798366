import Link from "next/link";
import { starAction } from "@/server/actions/experiment-actions";
import { StarAndForkCounts } from "@/components/experiments/star-and-fork-counts";
import { TagList } from "@/components/experiments/tag-list";
import type { CallerOutputs } from "@/lib/api-outputs";

type Experiment = CallerOutputs["experiments"]["get"];

/**
 * An experiment's title, who made it and under what terms, its tags, what it
 * was forked from, and what the reader may do: star it, and (its owner) edit
 * it or commit a version.
 */
export function ExperimentHeader({
  experiment: e,
  signedIn,
  owner,
}: {
  experiment: Experiment;
  signedIn: boolean;
  owner: boolean;
}) {
  return (
    <header className="experiment-head">
      <h1>{e.title}</h1>
      <p className="card-meta">
        <span>by {e.ownerName || "unknown"}</span>
        <span
          className={`pill visibility-${e.visibility}`}
          data-testid="visibility"
        >
          {e.visibility}
        </span>
        <span>license {e.license}</span>
        {e.model && (
          <span>
            on{" "}
            <Link href={`/models/${encodeURIComponent(e.model)}`}>
              {e.model}
            </Link>
          </span>
        )}
        <StarAndForkCounts stars={e.stars} forks={e.forks} />
      </p>
      <TagList tags={e.tags} />
      {e.forkedFrom && (
        <p data-testid="forked-from">
          Forked from{" "}
          <Link
            href={`/experiments/${e.forkedFrom.experimentId}?v=${e.forkedFrom.version}`}
          >
            {e.forkedFromTitle ?? "a private experiment"}
          </Link>{" "}
          version {e.forkedFrom.version}.
        </p>
      )}
      <div className="actions">
        {signedIn && (
          <form action={starAction}>
            <input type="hidden" name="experimentId" value={e.id} />
            <input
              type="hidden"
              name="starred"
              value={String(!e.starredByMe)}
            />
            <button type="submit" className="secondary" data-testid="star">
              {e.starredByMe ? "★ Starred" : "☆ Star"}
            </button>
          </form>
        )}
        {owner && <OwnerLinks experimentId={e.id} latest={e.latestVersion} />}
      </div>
    </header>
  );
}

/** The owner's ways to change an experiment: its details, and (once it has one) a new version. */
function OwnerLinks({
  experimentId,
  latest,
}: {
  experimentId: string;
  latest: number;
}) {
  return (
    <>
      <Link
        className="button secondary"
        href={`/experiments/${experimentId}/edit`}
      >
        Edit details
      </Link>
      {latest > 0 && (
        <Link
          className="button secondary"
          href={`/experiments/${experimentId}/commit`}
        >
          Commit a new version
        </Link>
      )}
    </>
  );
}
