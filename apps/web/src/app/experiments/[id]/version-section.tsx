import type { Graph } from "@loupe/graph";
import { When } from "@/components/when";
import type { CallerOutputs } from "@/lib/api-outputs";
import { bibtexFor } from "@/lib/cite";
import { VersionActions } from "./version-actions";
import { VersionGraph } from "./version-graph";

type Experiment = CallerOutputs["experiments"]["get"];
type Version = CallerOutputs["experiments"]["version"];

/**
 * One committed version of an experiment: what changed and on which model,
 * what the reader may do with it, its graph, and how to cite it.
 */
export function VersionSection({
  experiment: e,
  version,
  graph,
  shown,
  signedIn,
  approved,
  origin,
}: {
  experiment: Experiment;
  version: Version;
  /** The version's graph, parsed. */
  graph: Graph;
  /** The version's number. */
  shown: number;
  signedIn: boolean;
  approved: boolean;
  /** The portal's origin, for the citation's URL. */
  origin: string;
}) {
  const latest = e.latestVersion;
  return (
    <section aria-labelledby="graph">
      <h2 id="graph">
        Version {shown}
        {shown !== latest && (
          <span className="muted"> (latest is {latest})</span>
        )}
      </h2>
      <p className="muted small">
        {version.message || "no message"} · <When at={version.createdAt} /> ·
        model <code>{version.model}</code> · graph{" "}
        <code>{version.graphHash.slice(0, 19)}…</code>
      </p>
      <VersionActions
        experimentId={e.id}
        title={e.title}
        version={shown}
        model={version.model}
        signedIn={signedIn}
        approved={approved}
      />
      <VersionGraph graph={graph} title={`${e.title}, version ${shown}`} />
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
  );
}
