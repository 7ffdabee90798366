import { commitExperimentVersion } from "@loupe/db";
import { z } from "zod";
import { ownedExperiment } from "../../experiments/experiment-access.ts";
import { checkGraphForModel } from "../../graphs/validate-for-model.ts";
import { approvedProcedure } from "../../trpc.ts";
import { experimentIdInput, graphInput } from "./experiment-inputs.ts";

/**
 * `experiments.commitVersion`: the owner commits a new graph version on top
 * of the one they read; a concurrent commit makes this VERSION_CONFLICT.
 */
export const commitVersion = approvedProcedure("experiments:write")
  .input(
    graphInput.extend({
      experimentId: experimentIdInput,
      /** The version this one is based on: a concurrent commit makes this VERSION_CONFLICT. */
      expectedVersion: z.number().int().min(0),
    }),
  )
  .mutation(async ({ ctx, input }) => {
    const { db } = ctx.services;
    await ownedExperiment(db, ctx.principal, input.experimentId);
    const checked = await checkGraphForModel(db, input.model, input.graph);
    return commitExperimentVersion(db, {
      experimentId: input.experimentId,
      expectedVersion: input.expectedVersion,
      authorId: ctx.principal.userId,
      message: input.message,
      model: checked.model.name,
      graphHash: checked.graphHash,
      graph: checked.document,
    });
  });
