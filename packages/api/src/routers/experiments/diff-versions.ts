import { diffGraphs, formatGraphDiff, parseGraphOrThrow } from "@loupe/graph";
import { z } from "zod";
import { readableExperiment } from "../../experiments/experiment-access.ts";
import { getExperimentVersionOrThrow } from "../../experiments/get-experiment-version-or-throw.ts";
import { readProcedure } from "../../trpc.ts";
import { experimentIdInput, versionInput } from "./experiment-inputs.ts";

/**
 * `experiments.diff`: what changed between two versions of an experiment,
 * as a structured diff and as text, and whether the model changed.
 */
export const diffVersions = readProcedure("experiments:read")
  .input(
    z.object({
      experimentId: experimentIdInput,
      from: versionInput,
      to: versionInput,
    }),
  )
  .query(async ({ ctx, input }) => {
    const { db } = ctx.services;
    await readableExperiment(db, ctx.principal, input.experimentId);
    const [a, b] = await Promise.all([
      getExperimentVersionOrThrow(db, input.experimentId, input.from),
      getExperimentVersionOrThrow(db, input.experimentId, input.to),
    ]);
    const diff = diffGraphs(
      parseGraphOrThrow(a.graph),
      parseGraphOrThrow(b.graph),
    );
    return {
      from: input.from,
      to: input.to,
      modelChanged: a.model !== b.model,
      diff,
      text: formatGraphDiff(diff),
    };
  });
