import type { Transaction } from "../../events/append-events.ts";
import { eachEvent, type Projection } from "./projection.ts";

/**
 * The `experiments` read model, as the gallery lists them: title,
 * description, tags, license, visibility, the latest version and its model,
 * and the counts of stars and of forks.
 */
export const experimentsProjection: Projection<
  | "experiment.created"
  | "experiment.described"
  | "experiment.version_committed"
  | "experiment.visibility_changed"
  | "experiment.starred"
  | "experiment.unstarred"
> = {
  "experiment.created": eachEvent(async (tx, { payload: p }, at) => {
    await tx.experiment.create({
      data: {
        id: p.experimentId,
        ownerId: p.ownerId,
        title: p.title,
        description: p.description,
        visibility: p.visibility,
        license: p.license,
        forkedFromId: p.forkedFrom?.experimentId ?? null,
        forkedFromVersion: p.forkedFrom?.version ?? null,
        tags: p.tags,
        createdAt: at,
        updatedAt: at,
      },
    });
    if (p.forkedFrom)
      await tx.experiment.update({
        where: { id: p.forkedFrom.experimentId },
        data: { forks: { increment: 1 } },
      });
  }),
  "experiment.described": eachEvent(async (tx, { payload: p }, at) => {
    await tx.experiment.update({
      where: { id: p.experimentId },
      data: {
        title: p.title,
        description: p.description,
        tags: p.tags,
        license: p.license,
        updatedAt: at,
      },
    });
  }),
  "experiment.version_committed": eachEvent(async (tx, { payload: p }, at) => {
    await tx.experiment.update({
      where: { id: p.experimentId },
      data: { latestVersion: p.version, model: p.model, updatedAt: at },
    });
  }),
  "experiment.visibility_changed": eachEvent(async (tx, e, at) => {
    await tx.experiment.update({
      where: { id: e.payload.experimentId },
      data: { visibility: e.payload.visibility, updatedAt: at },
    });
  }),
  "experiment.starred": eachEvent((tx, e) =>
    countStars(tx, e.payload.experimentId),
  ),
  "experiment.unstarred": eachEvent((tx, e) =>
    countStars(tx, e.payload.experimentId),
  ),
};

/**
 * Sets an experiment's star count from `experiment_stars`, which the stars'
 * projection has updated for the same event before (see project-domain-events.ts).
 */
async function countStars(
  tx: Transaction,
  experimentId: string,
): Promise<void> {
  const stars = await tx.experimentStar.count({ where: { experimentId } });
  await tx.experiment.update({ where: { id: experimentId }, data: { stars } });
}
