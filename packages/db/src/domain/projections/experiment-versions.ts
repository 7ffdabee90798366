import type { Prisma } from "../../generated/prisma/client.ts";
import { eachEvent, type Projection } from "./projection.ts";

/** The `experiment_versions` read model: each committed graph version, immutable. */
export const experimentVersionsProjection: Projection<"experiment.version_committed"> =
  {
    "experiment.version_committed": eachEvent(
      async (tx, { payload: p }, at) => {
        await tx.experimentVersion.create({
          data: {
            experimentId: p.experimentId,
            version: p.version,
            graph: p.graph as Prisma.InputJsonObject,
            graphHash: p.graphHash,
            model: p.model,
            message: p.message,
            authorId: p.authorId,
            createdAt: at,
          },
        });
      },
    ),
  };
