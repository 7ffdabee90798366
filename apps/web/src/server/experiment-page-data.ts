import "server-only";
import { notFound } from "next/navigation";
import { cache } from "react";
import { currentAccount } from "./session";
import { errorCode } from "./describe-error";

/**
 * An experiment a page shows, as the signed-in user may read it. A private
 * experiment someone else owns is a 404, exactly like one that does not exist.
 * Once per request: a page's metadata and its body both ask.
 */
export const loadExperiment = cache(async (id: string) => {
  const { caller, me } = await currentAccount();
  const experiment = await caller.experiments
    .get({ experimentId: id })
    .catch((e: unknown) => {
      // An id its schema refuses names nothing either: a 404, not a 500.
      if (["NOT_FOUND", "BAD_REQUEST"].includes(errorCode(e))) notFound();
      throw e;
    });
  return { caller, experiment, me };
});

/** What Next.js passes the pages under /experiments/<id>: the id and the query. */
export interface ExperimentPageProps {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | undefined>>;
}

/**
 * The experiment a page under /experiments/<id> shows (loadExperiment), with
 * its id and the page's query.
 */
export async function loadExperimentPage({
  params,
  searchParams,
}: ExperimentPageProps) {
  const { id } = await params;
  const [query, loaded] = await Promise.all([searchParams, loadExperiment(id)]);
  return { id, query, ...loaded };
}
