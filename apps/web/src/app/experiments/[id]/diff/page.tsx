import type { Metadata } from "next";
import {
  loadExperimentPage,
  type ExperimentPageProps,
} from "@/server/experiment-page-data";
import { describeError } from "@/server/describe-error";
import { Breadcrumb } from "@/components/breadcrumb";
import { FormMessage } from "@/components/form-message";
import { GraphDiffView } from "@/components/graph/graph-diff-view";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Diff" };

export default async function DiffPage(props: ExperimentPageProps) {
  const { id, query, caller, experiment: e } = await loadExperimentPage(props);
  const from = Number(query.from ?? e.latestVersion - 1);
  const to = Number(query.to ?? e.latestVersion);
  const diff = await caller.experiments
    .diff({ experimentId: id, from, to })
    .catch((error: unknown) => describeError(error));
  return (
    <section className="page">
      <Breadcrumb href={`/experiments/${id}`}>{e.title}</Breadcrumb>
      <h1>
        Version {from} → version {to}
      </h1>
      {typeof diff === "string" ? (
        <FormMessage error={diff} />
      ) : (
        <>
          {diff.modelChanged && (
            <p className="alert notice">
              The two versions run on different models.
            </p>
          )}
          <GraphDiffView diff={diff.diff} fromVersion={from} toVersion={to} />
        </>
      )}
    </section>
  );
}
