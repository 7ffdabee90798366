import { z } from "zod";
import { readableExperiment } from "../../experiments/experiment-access.ts";
import { getExperimentVersionOrThrow } from "../../experiments/get-experiment-version-or-throw.ts";
import { readProcedure } from "../../trpc.ts";
import { experimentIdInput, versionInput } from "./experiment-inputs.ts";

/** `experiments.version`: one committed version (graph, model, message) of an experiment the caller may read. */
export const getVersion = readProcedure("experiments:read")
  .input(z.object({ experimentId: experimentIdInput, version: versionInput }))
  .query(async ({ ctx, input }) => {
    const { db } = ctx.services;
    await readableExperiment(db, ctx.principal, input.experimentId);
    return getExperimentVersionOrThrow(db, input.experimentId, input.version);
  });
