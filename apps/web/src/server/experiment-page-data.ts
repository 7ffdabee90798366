import "server-only";
import { notFound } from "next/navigation";
import { getServerCaller } from "./caller";
import { errorCode } from "./describe-error";

/**
 * An experiment a page shows, as the signed-in user may read it. A private
 * experiment someone else owns is a 404, exactly like one that does not exist.
 */
export async function loadExperiment(id: string) {
  const caller = await getServerCaller();
  const experiment = await caller.experiments
    .get({ experimentId: id })
    .catch((e: unknown) => {
      if (errorCode(e) === "NOT_FOUND") notFound();
      throw e;
    });
  const me = await caller.account.me().catch(() => null);
  return { caller, experiment, me };
}
