import {
  appendDomainEvents,
  domainEvents,
  getExperimentOrThrow,
  isExperimentStarred,
  streams,
} from "@loupe/db";
import { z } from "zod";
import { readableExperiment } from "../../experiments/experiment-access.ts";
import { scopedProcedure } from "../../trpc.ts";
import { experimentIdInput } from "./experiment-inputs.ts";

/**
 * `experiments.star`: stars or unstars an experiment the caller may read
 * (nothing is recorded when it is already so); returns its star count.
 */
export const starExperiment = scopedProcedure("experiments:write")
  .input(z.object({ experimentId: experimentIdInput, starred: z.boolean() }))
  .mutation(async ({ ctx, input }) => {
    const { db } = ctx.services;
    await readableExperiment(db, ctx.principal, input.experimentId);
    const key = {
      experimentId: input.experimentId,
      userId: ctx.principal.userId,
    };
    const has = await isExperimentStarred(db, key.experimentId, key.userId);
    if (has !== input.starred)
      await appendDomainEvents(db, [
        domainEvents.event(
          streams.experiment(input.experimentId),
          input.starred ? "experiment.starred" : "experiment.unstarred",
          key,
        ),
      ]);
    const e = await getExperimentOrThrow(db, input.experimentId);
    return { starred: input.starred, stars: e.stars };
  });
