import { randomUUID } from "node:crypto";
import { appendDomainEvents, domainEvents, streams } from "@loupe/db";
import { z } from "zod";
import { checkGraphForModel } from "../../graphs/validate-for-model.ts";
import { approvedProcedure } from "../../trpc.ts";
import {
  graphInput,
  licenseInput,
  tagsInput,
  visibilityInput,
} from "./experiment-inputs.ts";

/**
 * `experiments.create`: a new experiment owned by the caller, with its first
 * version when `initial` gives a graph (checked against its model first).
 */
export const createExperiment = approvedProcedure("experiments:write")
  .input(
    z.object({
      title: z.string().min(1).max(200),
      description: z.string().max(10_000).default(""),
      visibility: visibilityInput.default("private"),
      license: licenseInput.default("CC-BY-4.0"),
      tags: tagsInput.default([]),
      initial: graphInput.optional(),
    }),
  )
  .mutation(async ({ ctx, input }) => {
    const { db } = ctx.services;
    const checked =
      input.initial &&
      (await checkGraphForModel(db, input.initial.model, input.initial.graph));
    const experimentId = randomUUID();
    const stream = streams.experiment(experimentId);
    const events = [
      domainEvents.event(stream, "experiment.created", {
        experimentId,
        ownerId: ctx.principal.userId,
        title: input.title,
        description: input.description,
        visibility: input.visibility,
        license: input.license,
        forkedFrom: null,
        tags: input.tags,
      }),
    ];
    if (checked)
      events.push(
        domainEvents.event(stream, "experiment.version_committed", {
          experimentId,
          version: 1,
          authorId: ctx.principal.userId,
          message: input.initial!.message,
          model: checked.model.name,
          graphHash: checked.graphHash,
          graph: checked.document,
        }),
      );
    await appendDomainEvents(db, events, { expectedVersion: 0 });
    return { experimentId, version: checked ? 1 : 0 };
  });
