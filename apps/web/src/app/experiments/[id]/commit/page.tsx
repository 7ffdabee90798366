import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { commitAction } from "@/server/actions/experiment-actions";
import {
  loadExperimentPage,
  type ExperimentPageProps,
} from "@/server/experiment-page-data";
import { Breadcrumb } from "@/components/breadcrumb";
import { FormMessage } from "@/components/form-message";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Commit a version" };

/**
 * Commits an edited graph document as the next version. The document is the
 * graph as data (loupe.graph JSON): the server validates it against the model
 * and says which node or field is wrong; nothing is lost, since the previous
 * version stays as it was.
 */
export default async function CommitPage(props: ExperimentPageProps) {
  const {
    id,
    query,
    caller,
    experiment: e,
    me,
  } = await loadExperimentPage(props);
  if (me?.userId !== e.ownerId)
    redirect(
      `/experiments/${id}?error=${encodeURIComponent("only the owner may commit versions")}`,
    );
  const latest =
    e.latestVersion > 0
      ? await caller.experiments.version({
          experimentId: id,
          version: e.latestVersion,
        })
      : null;
  return (
    <section className="page">
      <Breadcrumb href={`/experiments/${id}`}>{e.title}</Breadcrumb>
      <h1>Commit version {e.latestVersion + 1}</h1>
      <FormMessage error={query.error} />
      <form action={commitAction} className="form wide">
        <input type="hidden" name="experimentId" value={id} />
        <input type="hidden" name="expectedVersion" value={e.latestVersion} />
        <label>
          Model
          <input name="model" defaultValue={latest?.model ?? ""} required />
        </label>
        <label>
          Graph (loupe.graph JSON, based on version {e.latestVersion})
          <textarea
            name="graph"
            rows={24}
            spellCheck={false}
            className="code"
            defaultValue={latest ? JSON.stringify(latest.graph, null, 2) : ""}
            required
          />
        </label>
        <label>
          Message
          <input
            name="message"
            maxLength={2000}
            placeholder="what changed and why"
          />
        </label>
        <button type="submit" data-testid="commit">
          Commit
        </button>
      </form>
    </section>
  );
}
