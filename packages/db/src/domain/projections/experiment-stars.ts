import { eachEvent, type Projection } from "./projection.ts";

/** The `experiment_stars` read model: who starred which experiment (a star given twice is one). */
export const experimentStarsProjection: Projection<
  "experiment.starred" | "experiment.unstarred"
> = {
  "experiment.starred": eachEvent(async (tx, { payload: p }) => {
    const key = { experimentId: p.experimentId, userId: p.userId };
    await tx.experimentStar.upsert({
      where: { experimentId_userId: key },
      create: key,
      update: {},
    });
  }),
  "experiment.unstarred": eachEvent(async (tx, { payload: p }) => {
    await tx.experimentStar.deleteMany({
      where: { experimentId: p.experimentId, userId: p.userId },
    });
  }),
};
