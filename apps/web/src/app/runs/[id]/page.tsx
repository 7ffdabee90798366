import type { Metadata } from "next";
import Link from "next/link";
import { headers } from "next/headers";
import { notFound } from "next/navigation";
import { getServerCaller } from "@/server/caller";
import { errorCode } from "@/server/describe-error";
import { principalOf } from "@/server/principal";
import { loadRunResultViews } from "@/server/run-results";
import { Breadcrumb } from "@/components/breadcrumb";
import { When } from "@/components/when";
import type { CallerOutputs } from "@/lib/api-outputs";
import { RunLiveStatus } from "./run-live-status";
import { RunResults } from "./run-results";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Run" };

type Run = CallerOutputs["runs"]["status"];

const seconds = (from: Date | null, to: Date | null) =>
  from && to ? `${((to.getTime() - from.getTime()) / 1000).toFixed(2)} s` : "–";

export default async function RunPage({
  params,
}: {
  params: Promise<{ id: string }>;
}) {
  const { id } = await params;
  const caller = await getServerCaller();
  // Authorises the reader: a run they may not read is a 404, like one that does not exist.
  const run = await caller.runs.status({ runId: id }).catch((e: unknown) => {
    // An id its schema refuses names nothing either: a 404, not a 500.
    if (["NOT_FOUND", "BAD_REQUEST"].includes(errorCode(e))) notFound();
    throw e;
  });
  const experimentTitle = run.experiment
    ? await caller.experiments
        .get({ experimentId: run.experiment.experimentId })
        .then((e) => e.title)
        .catch(() => null)
    : null;
  const { document: graph } = await caller.runs.graph({ runId: id });
  const result =
    run.status === "completed"
      ? await loadRunResultViews(await principalOf(await headers()), {
          runId: id,
          model: await caller.models.manifest({ model: run.model }),
          graph,
        })
      : null;
  return (
    <article className="page" data-testid="run" data-run-id={id}>
      <Breadcrumb href="/runs">Runs</Breadcrumb>
      <h1>
        Run <code>{id.slice(0, 8)}</code>
      </h1>
      <RunLiveStatus
        runId={id}
        initial={{
          status: run.status,
          queuePosition: run.queuePosition,
          changeKey: run.changeKey,
          generated: run.generated,
        }}
        prompts={promptsOf(graph)}
      />
      <RunFacts run={run} experimentTitle={experimentTitle} />
      {run.error && (
        <p role="alert" className="alert error" data-testid="run-error">
          {run.error}
        </p>
      )}
      {result && <RunResults result={result} resultUrl={run.resultUrl} />}
    </article>
  );
}

/** What a run ran (model, experiment, graph), when, and what its batch cost. */
function RunFacts({
  run,
  experimentTitle,
}: {
  run: Run;
  experimentTitle: string | null;
}) {
  return (
    <dl className="facts">
      <dt>Model</dt>
      <dd>
        <Link href={`/models/${encodeURIComponent(run.model)}`}>
          {run.model}
        </Link>
      </dd>
      {run.experiment && (
        <>
          <dt>Experiment</dt>
          <dd>
            <Link
              href={`/experiments/${run.experiment.experimentId}?v=${run.experiment.version}`}
            >
              {experimentTitle ?? "an experiment"}, version{" "}
              {run.experiment.version}
            </Link>
          </dd>
        </>
      )}
      <dt>Graph</dt>
      <dd>
        <code>{run.graphHash}</code>
      </dd>
      <dt>Requested</dt>
      <dd>
        <When at={run.requestedAt} />
      </dd>
      <dt>Waited</dt>
      <dd className="num">{seconds(run.requestedAt, run.startedAt)}</dd>
      <dt>Ran</dt>
      <dd className="num">{seconds(run.startedAt, run.finishedAt)}</dd>
      {run.metrics && !run.cached && (
        <>
          <dt>Batch</dt>
          <dd>
            {run.metrics.runRows} of {run.metrics.batchRows} rows in its batch ·{" "}
            {run.metrics.forwardPasses} forward pass
            {run.metrics.forwardPasses === 1 ? "" : "es"} ·{" "}
            {run.metrics.computeSeconds.toFixed(3)} compute seconds charged
          </dd>
        </>
      )}
      {run.cached && (
        <>
          <dt>Served from</dt>
          <dd>an earlier identical run (no compute, no quota)</dd>
        </>
      )}
    </dl>
  );
}

/** Each text prompt of a graph by "trace/invoke/row" (what generated rows are keyed by). */
function promptsOf(graph: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const traces = (graph as { traces?: unknown }).traces;
  if (!Array.isArray(traces)) return out;
  traces.forEach((trace: { invokes?: unknown }, t) => {
    if (!Array.isArray(trace.invokes)) return;
    trace.invokes.forEach(
      (invoke: { input?: { kind?: string; prompts?: unknown } | null }, i) => {
        const prompts = invoke.input?.prompts;
        if (invoke.input?.kind === "text" && Array.isArray(prompts))
          prompts.forEach((p, r) => {
            if (typeof p === "string") out[`${t}/${i}/${r}`] = p;
          });
      },
    );
  });
  return out;
}
