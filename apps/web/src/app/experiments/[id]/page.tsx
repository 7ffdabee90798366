import type { Metadata } from "next";
import Link from "next/link";
import { headers } from "next/headers";
import { parseGraphOrThrow, renderGraphText } from "@loupe/graph";
import {
  forkAction,
  runVersionAction,
  setVisibilityAction,
  starAction,
} from "@/server/actions/experiment-actions";
import { loadExperiment } from "@/server/experiment-page-data";
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
  const h = await headers();
  const origin = `${h.get("x-forwarded-proto") ?? "http"}://${h.get("host") ?? "localhost"}`;
  const versions = history.filter(
    (x) => x.type === "experiment.version_committed",
  );
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

      <section aria-labelledby="runs">
        <h2 id="runs">Runs</h2>
        {runs.length === 0 ? (
          <p className="muted">Not run yet.</p>
        ) : (
          <table className="grid" data-testid="experiment-runs">
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Version</th>
                <th scope="col">Status</th>
                <th scope="col">Requested</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.runId}>
                  <td>
                    <Link href={`/runs/${r.runId}`}>
                      <code>{r.runId.slice(0, 8)}</code>
                    </Link>
                  </td>
                  <td className="num">v{r.version}</td>
                  <td>
                    {r.status}
                    {r.cached && <span className="muted small"> (cached)</span>}
                  </td>
                  <td className="num">
                    <When at={r.requestedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section aria-labelledby="history">
        <h2 id="history">History</h2>
        {versions.length >= 2 && (
          <form action={`/experiments/${e.id}/diff`} className="filters">
            <label>
              Compare version
              <select name="from" defaultValue={String(latest - 1)}>
                {versions.map((v) => (
                  <option key={v.seq} value={String(v.version)}>
                    {v.version}
                  </option>
                ))}
              </select>
            </label>
            <label>
              with version
              <select name="to" defaultValue={String(latest)}>
                {versions.map((v) => (
                  <option key={v.seq} value={String(v.version)}>
                    {v.version}
                  </option>
                ))}
              </select>
            </label>
            <button type="submit" className="secondary">
              Show diff
            </button>
          </form>
        )}
        <ol className="timeline" data-testid="history">
          {history.map((h) => (
            <li key={h.seq}>
              <When at={h.time} /> ·{" "}
              <HistoryLine event={h} experimentId={e.id} />
            </li>
          ))}
        </ol>
      </section>

      <section aria-labelledby="lineage">
        <h2 id="lineage">Forks and sharing</h2>
        {e.forkList.length === 0 ? (
          <p className="muted">No forks you can see.</p>
        ) : (
          <ul className="plain" data-testid="forks">
            {e.forkList.map((f) => (
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
            <input type="hidden" name="experimentId" value={e.id} />
            <label>
              Visibility
              <select name="visibility" defaultValue={e.visibility}>
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
    </article>
  );
}

function HistoryLine({
  event,
  experimentId,
}: {
  event: { type: string } & Record<string, unknown>;
  experimentId: string;
}) {
  const v = event as Record<string, unknown>;
  switch (event.type) {
    case "experiment.created":
      return <>created{v.forkedFrom ? " as a fork" : ""}</>;
    case "experiment.version_committed":
      return (
        <>
          <Link href={`/experiments/${experimentId}?v=${String(v.version)}`}>
            version {String(v.version)}
          </Link>{" "}
          committed:{" "}
          {typeof v.message === "string" && v.message
            ? v.message
            : "no message"}
        </>
      );
    case "experiment.visibility_changed":
      return <>made {String(v.visibility)}</>;
    case "experiment.described":
      return <>details edited</>;
    case "experiment.starred":
      return <>starred</>;
    case "experiment.unstarred":
      return <>unstarred</>;
    default:
      return <>{event.type}</>;
  }
}
