import { randomUUID } from "node:crypto";
import { appendDomainEvents, domainEvents, streams } from "@loupe/db";
import { z } from "zod";
import { readableExperiment } from "../../experiments/experiment-access.ts";
import { getExperimentVersionOrThrow } from "../../experiments/get-experiment-version-or-throw.ts";
import { approvedProcedure } from "../../trpc.ts";
import {
  experimentIdInput,
  versionInput,
  visibilityInput,
} from "./experiment-inputs.ts";

/**
 * `experiments.fork`: a new experiment of the caller's whose first version is
 * a version of one they may read; it keeps the source's description, tags
 * and license, and points at the version it came from.
 */
export const forkExperiment = approvedProcedure("experiments:write")
  .input(
    z.object({
      experimentId: experimentIdInput,
      version: versionInput,
      title: z.string().min(1).max(200).optional(),
      visibility: visibilityInput.default("private"),
    }),
  )
  .mutation(async ({ ctx, input }) => {
    const { db } = ctx.services;
    const source = await readableExperiment(
      db,
      ctx.principal,
      input.experimentId,
    );
    const from = await getExperimentVersionOrThrow(
      db,
      input.experimentId,
      input.version,
    );
    const experimentId = randomUUID();
    const stream = streams.experiment(experimentId);
    await appendDomainEvents(
      db,
      [
        domainEvents.event(stream, "experiment.created", {
          experimentId,
          ownerId: ctx.principal.userId,
          title: input.title ?? `${source.title} (fork)`,
          description: source.description,
          visibility: input.visibility,
          // A fork keeps the license its source was shared under.
          license: source.license,
          tags: source.tags,
          forkedFrom: {
            experimentId: input.experimentId,
            version: input.version,
          },
        }),
        domainEvents.event(stream, "experiment.version_committed", {
          experimentId,
          version: 1,
          authorId: ctx.principal.userId,
          message: `forked from ${input.experimentId} v${input.version}`,
          model: from.model,
          graphHash: from.graphHash,
          graph: from.graph as Record<string, unknown>,
        }),
      ],
      { expectedVersion: 0 },
    );
    return { experimentId, version: 1 };
  });
