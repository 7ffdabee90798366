import {
  appendDomainEvents,
  domainEvents,
  getExperimentOrThrow,
  streams,
} from "@loupe/db";
import { z } from "zod";
import { ownedExperiment } from "../../experiments/experiment-access.ts";
import { scopedProcedure } from "../../trpc.ts";
import { toExperimentCard } from "./experiment-card.ts";
import {
  experimentIdInput,
  licenseInput,
  tagsInput,
} from "./experiment-inputs.ts";

/** `experiments.describe`: the owner edits what the gallery shows: title, description (markdown), tags, license. */
export const describeExperiment = scopedProcedure("experiments:write")
  .input(
    z.object({
      experimentId: experimentIdInput,
      title: z.string().trim().min(1).max(200),
      description: z.string().max(10_000),
      tags: tagsInput,
      license: licenseInput,
    }),
  )
  .mutation(async ({ ctx, input }) => {
    const { db } = ctx.services;
    const e = await ownedExperiment(db, ctx.principal, input.experimentId);
    await appendDomainEvents(db, [
      domainEvents.event(streams.experiment(e.id), "experiment.described", {
        ...input,
        by: ctx.principal.userId,
      }),
    ]);
    return toExperimentCard(await getExperimentOrThrow(db, e.id));
  });
