import { listOwnedExperiments } from "@loupe/db";
import { scopedProcedure } from "../../trpc.ts";
import { toExperimentCard } from "./experiment-card.ts";

/** `experiments.mine`: the caller's experiments, whatever their visibility, most recently updated first. */
export const listMine = scopedProcedure("experiments:read").query(
  async ({ ctx }) => {
    const rows = await listOwnedExperiments(
      ctx.services.db,
      ctx.principal.userId,
    );
    return rows.map(toExperimentCard);
  },
);
