import type { Metadata } from "next";
import Link from "next/link";
import { parseGraphOrThrow, renderGraphText } from "@loupe/graph";
import {
  forkAction,
  runVersionAction,
  starAction,
} from "@/server/actions/experiment-actions";
import { loadExperiment } from "@/server/experiment-page-data";
import { requestOrigin } from "@/server/request-origin";
import { ExperimentHistory } from "@/components/experiments/experiment-history";
import { ExperimentLineage } from "@/components/experiments/experiment-lineage";
import { ExperimentRuns } from "@/components/experiments/experiment-runs";
import { FormMessage } from "@/components/form-message";
import { GraphDrawing } from "@/components/graph/graph-drawing";
import { Markdown } from "@/components/markdown";
import { When } from "@/components/when";
import { bibtexFor } from "@/lib/cite";

export const dynamic = "force-dynamic";

/** Above this many nodes the drawing is offered, not shown: the text reads better. */
const LARGE_GRAPH_NODES = 80;

export async function generateMetadata({
  params,
}: {
  params: Promise<{ id: string }>;
}): Promise<Metadata> {
  const { experiment } = await loadExperiment((await params).id);
  return { title: experiment.title };
}

export default async function ExperimentPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | undefined>>;
}) {
  const { id } = await params;
  const query = await searchParams;
  const { caller, experiment: e, me } = await loadExperiment(id);
  const latest = e.latestVersion;
  const shown =
    query.v && Number(query.v) >= 1 && Number(query.v) <= latest
      ? Number(query.v)
      : latest;
  const [version, history, runs] = await Promise.all([
    shown > 0
      ? caller.experiments.version({ experimentId: id, version: shown })
      : null,
    caller.experiments.history({ experimentId: id }),
    caller.experiments.runs({ experimentId: id, limit: 20 }),
  ]);
  const graph = version ? parseGraphOrThrow(version.graph) : null;
  const owner = me?.userId === e.ownerId;
  const approved = me?.access === "approved";
  const origin = await requestOrigin();
  return (
    <article className="page" data-testid="experiment" data-id={e.id}>
      <FormMessage error={query.error} notice={query.notice} />
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
          <span>
            ★ {e.stars} star{e.stars === 1 ? "" : "s"}
          </span>
          <span>
            {e.forks} fork{e.forks === 1 ? "" : "s"}
          </span>
        </p>
        {e.tags.length > 0 && (
          <ul className="tags" aria-label="Tags">
            {e.tags.map((t) => (
              <li key={t}>
                <Link
                  className="tag"
                  href={`/gallery?tag=${encodeURIComponent(t)}`}
                >
                  {t}
                </Link>
              </li>
            ))}
          </ul>
        )}
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
          {me && (
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
          {owner && (
            <>
              <Link
                className="button secondary"
                href={`/experiments/${e.id}/edit`}
              >
                Edit details
              </Link>
              {latest > 0 && (
                <Link
                  className="button secondary"
                  href={`/experiments/${e.id}/commit`}
                >
                  Commit a new version
                </Link>
              )}
            </>
          )}
        </div>
      </header>

      <section aria-labelledby="about">
        <h2 id="about">About</h2>
        {e.description.trim() ? (
          <Markdown source={e.description} />
        ) : (
          <p className="muted">No description.</p>
        )}
      </section>

      {version && graph ? (
        <section aria-labelledby="graph">
          <h2 id="graph">
            Version {shown}
            {shown !== latest && (
              <span className="muted"> (latest is {latest})</span>
            )}
          </h2>
          <p className="muted small">
            {version.message || "no message"} · <When at={version.createdAt} />{" "}
            · model <code>{version.model}</code> · graph{" "}
            <code>{version.graphHash.slice(0, 19)}…</code>
          </p>
          <div className="actions">
            {approved ? (
              <form action={runVersionAction}>
                <input type="hidden" name="experimentId" value={e.id} />
                <input type="hidden" name="version" value={shown} />
                <button type="submit" data-testid="run-version">
                  Run version {shown} on {version.model}
                </button>
              </form>
            ) : (
              <p className="muted small">
                {me ? (
                  <>
                    Running on hosted models needs{" "}
                    <Link href="/apply">approved access</Link>.
                  </>
                ) : (
                  <>
                    <Link href={`/signin?callbackUrl=/experiments/${e.id}`}>
                      Sign in
                    </Link>{" "}
                    to run or fork it.
                  </>
                )}
              </p>
            )}
            {approved && (
              <details className="inline-form">
                <summary className="button secondary">Fork…</summary>
                <form action={forkAction} className="form">
                  <input type="hidden" name="experimentId" value={e.id} />
                  <input type="hidden" name="version" value={shown} />
                  <label>
                    Title
                    <input
                      name="title"
                      defaultValue={`${e.title} (fork)`}
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
                    Fork version {shown}
                  </button>
                </form>
              </details>
            )}
          </div>
          {graph.nodes.length <= LARGE_GRAPH_NODES ? (
            <GraphDrawing
              graph={graph}
              title={`${e.title}, version ${shown}`}
            />
          ) : (
            // A sweep's hundreds of nodes draw as a wall of boxes: opt in.
            <details>
              <summary>
                Draw the graph ({graph.nodes.length} nodes in{" "}
                {graph.traces.reduce((n, t) => n + t.invokes.length, 0)}{" "}
                invokes: a wide drawing)
              </summary>
              <GraphDrawing
                graph={graph}
                title={`${e.title}, version ${shown}`}
              />
            </details>
          )}
          <details open={graph.nodes.length > LARGE_GRAPH_NODES}>
            <summary>The graph as text</summary>
            {/* Focusable: a long line scrolls, and keyboard users must reach it (axe). */}
            <pre
              className="graph-text"
              data-testid="graph-text"
              tabIndex={0}
              role="region"
              aria-label="The graph as text"
            >
              {renderGraphText(graph)}
            </pre>
          </details>
          <details>
            <summary>Cite this version (BibTeX)</summary>
            <pre
              data-testid="bibtex"
              tabIndex={0}
              role="region"
              aria-label="BibTeX entry"
            >
              {bibtexFor({
                experimentId: e.id,
                version: shown,
                title: e.title,
                authors: [e.ownerName || "Loupe user"],
                year: new Date(version.createdAt).getUTCFullYear(),
                url: `${origin}/experiments/${e.id}?v=${shown}`,
                license: e.license,
                graphHash: version.graphHash,
                model: version.model,
              })}
            </pre>
          </details>
        </section>
      ) : (
        <p className="muted">No version committed yet.</p>
      )}

      <ExperimentRuns runs={runs} />
      <ExperimentHistory
        experimentId={e.id}
        history={history}
        latest={latest}
      />
      <ExperimentLineage
        experimentId={e.id}
        forks={e.forkList}
        owner={owner}
        visibility={e.visibility}
      />
    </article>
  );
}
