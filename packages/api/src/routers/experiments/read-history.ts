import { domainEvents, readStream, streams } from "@loupe/db";
import { z } from "zod";
import { readableExperiment } from "../../experiments/experiment-access.ts";
import { readProcedure } from "../../trpc.ts";
import { experimentIdInput } from "./experiment-inputs.ts";

/**
 * `experiments.history`: the experiment's stream, every fact about it in
 * order, each without its graph (a version's graph is `experiments.version`'s).
 */
export const readHistory = readProcedure("experiments:read")
  .input(z.object({ experimentId: experimentIdInput }))
  .query(async ({ ctx, input }) => {
    const { db } = ctx.services;
    await readableExperiment(db, ctx.principal, input.experimentId);
    const events = await readStream(db, streams.experiment(input.experimentId));
    return events.map((stored) => {
      const e = domainEvents.parse(stored);
      const { graph: _graph, ...summary } = e.payload as Record<
        string,
        unknown
      >;
      return {
        ...summary,
        /** The event's place in the experiment's stream (1, 2, ...). */
        seq: stored.version,
        type: e.type,
        time: stored.time,
        /** The experiment version it committed, for `experiment.version_committed`. */
        version: typeof summary.version === "number" ? summary.version : null,
      };
    });
  });
