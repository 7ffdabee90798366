import type { Metadata } from "next";
import { parseGraphOrThrow } from "@loupe/graph";
import {
  loadExperiment,
  loadExperimentPage,
  type ExperimentPageProps,
} from "@/server/experiment-page-data";
import { requestOrigin } from "@/server/request-origin";
import { ExperimentHistory } from "@/components/experiments/experiment-history";
import { ExperimentLineage } from "@/components/experiments/experiment-lineage";
import { ExperimentRuns } from "@/components/experiments/experiment-runs";
import { FormMessage } from "@/components/form-message";
import { Markdown } from "@/components/markdown";
import { ExperimentHeader } from "./experiment-header";
import { VersionSection } from "./version-section";

export const dynamic = "force-dynamic";

export async function generateMetadata({
  params,
}: Pick<ExperimentPageProps, "params">): Promise<Metadata> {
  const { experiment } = await loadExperiment((await params).id);
  return { title: experiment.title };
}

export default async function ExperimentPage(props: ExperimentPageProps) {
  const {
    id,
    query,
    caller,
    experiment: e,
    me,
  } = await loadExperimentPage(props);
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
  const origin = await requestOrigin();
  return (
    <article className="page" data-testid="experiment" data-id={e.id}>
      <FormMessage error={query.error} notice={query.notice} />
      <ExperimentHeader experiment={e} signedIn={!!me} owner={owner} />
      <section aria-labelledby="about">
        <h2 id="about">About</h2>
        {e.description.trim() ? (
          <Markdown source={e.description} />
        ) : (
          <p className="muted">No description.</p>
        )}
      </section>
      {version && graph ? (
        <VersionSection
          experiment={e}
          version={version}
          graph={graph}
          shown={shown}
          signedIn={!!me}
          approved={me?.access === "approved"}
          origin={origin}
        />
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
