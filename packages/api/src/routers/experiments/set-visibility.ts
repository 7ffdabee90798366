import { appendDomainEvents, domainEvents, streams } from "@loupe/db";
import { z } from "zod";
import { ownedExperiment } from "../../experiments/experiment-access.ts";
import { scopedProcedure } from "../../trpc.ts";
import { experimentIdInput, visibilityInput } from "./experiment-inputs.ts";

/** `experiments.setVisibility`: the owner makes an experiment private, unlisted or public. */
export const setVisibility = scopedProcedure("experiments:write")
  .input(
    z.object({ experimentId: experimentIdInput, visibility: visibilityInput }),
  )
  .mutation(async ({ ctx, input }) => {
    const { db } = ctx.services;
    const e = await ownedExperiment(db, ctx.principal, input.experimentId);
    if (e.visibility !== input.visibility)
      await appendDomainEvents(db, [
        domainEvents.event(
          streams.experiment(e.id),
          "experiment.visibility_changed",
          {
            experimentId: e.id,
            visibility: input.visibility,
            by: ctx.principal.userId,
          },
        ),
      ]);
    return { visibility: input.visibility };
  });
