import { graphSourcesSchema } from "@loupe/graph";
import { z } from "zod";
import { readableExperiment } from "../../experiments/experiment-access.ts";
import { getExperimentVersionOrThrow } from "../../experiments/get-experiment-version-or-throw.ts";
import { checkGraphForModel } from "../../graphs/validate-for-model.ts";
import { assertModelRunnable } from "../../models/assert-model-runnable.ts";
import { submitRun } from "../../runs/submit-run.ts";
import { approvedProcedure } from "../../trpc.ts";

const id = z.string().min(1).max(200);

// Size limits are the user's run limits (enforced by name in submitRun), not
// the validator's.
const NO_VALIDATION_LIMITS = {
  maxNodes: Infinity,
  maxConstantBytes: Infinity,
  maxSavedBytes: Infinity,
};

/**
 * `runs.submit`: runs a graph, given ad hoc on a model or as a committed
 * experiment version the caller may read, once per request id (submitRun).
 */
export const submitGraph = approvedProcedure("runs:write")
  .input(
    z
      .object({
        /** An ad-hoc graph on a model ... */
        model: z.string().min(1).optional(),
        graph: z.unknown().optional(),
        /** Where the script made each node ("path:line"): validation errors name these lines. */
        sources: graphSourcesSchema.optional(),
        /** ... or a committed experiment version. */
        experimentId: id.optional(),
        version: z.number().int().min(1).optional(),
        /** Serve from an earlier identical run the caller may read (default on). */
        reuse: z.boolean().default(true),
        /**
         * The client's id for this request (the SDK makes one per call and
         * sends it again on retries): the same id from the same user returns
         * the same run, however often it is sent.
         */
        requestId: z
          .string()
          .min(8)
          .max(100)
          .regex(/^[A-Za-z0-9_.:-]+$/, "letters, digits and _ . : -")
          .optional(),
      })
      .refine(
        (i) =>
          (i.graph !== undefined && i.model !== undefined) !==
          (i.experimentId !== undefined && i.version !== undefined),
        "give either model and graph, or experimentId and version",
      ),
  )
  .mutation(async ({ ctx, input }) => {
    const { db } = ctx.services;
    let model = input.model!;
    let document = input.graph;
    let experiment = null;
    if (input.experimentId !== undefined) {
      await readableExperiment(db, ctx.principal, input.experimentId);
      const v = await getExperimentVersionOrThrow(
        db,
        input.experimentId,
        input.version!,
      );
      model = v.model;
      document = v.graph;
      experiment = {
        experimentId: input.experimentId,
        version: input.version!,
      };
    }
    await assertModelRunnable(db, model);
    const checked = await checkGraphForModel(db, model, document, {
      results: ctx.services.results,
      limits: NO_VALIDATION_LIMITS,
      ...(experiment === null && input.sources && { sources: input.sources }),
    });
    return submitRun(ctx.services, ctx.principal, checked, {
      experiment,
      reuse: input.reuse,
      requestId: input.requestId,
    });
  });
