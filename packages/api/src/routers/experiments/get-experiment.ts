import {
  findExperiment,
  findOwnerName,
  isExperimentStarred,
  listExperimentForks,
} from "@loupe/db";
import { z } from "zod";
import type { Principal } from "../../auth/principal.ts";
import { readableExperiment } from "../../experiments/experiment-access.ts";
import { getExperimentVersionOrThrow } from "../../experiments/get-experiment-version-or-throw.ts";
import { readProcedure } from "../../trpc.ts";
import { toExperimentCard } from "./experiment-card.ts";
import { experimentIdInput } from "./experiment-inputs.ts";

/**
 * `experiments.get`: an experiment the caller may read, with its latest
 * version, its owner's name, whether the caller starred it, and its lineage
 * (the source it was forked from, the forks the caller may read).
 */
export const getExperiment = readProcedure("experiments:read")
  .input(z.object({ experimentId: experimentIdInput }))
  .query(async ({ ctx, input }) => {
    const { db } = ctx.services;
    const e = await readableExperiment(db, ctx.principal, input.experimentId);
    const me = ctx.principal;
    const [latest, starredByMe, ownerName, source, forks] = await Promise.all([
      e.latestVersion > 0
        ? getExperimentVersionOrThrow(db, e.id, e.latestVersion)
        : Promise.resolve(null),
      me ? isExperimentStarred(db, e.id, me.userId) : Promise.resolve(false),
      findOwnerName(db, e.ownerId),
      e.forkedFromId
        ? findExperiment(db, e.forkedFromId)
        : Promise.resolve(null),
      // Lineage downwards: the forks this caller may read.
      listExperimentForks(
        db,
        e.id,
        me && { userId: me.userId, admin: me.role === "admin" },
      ),
    ]);
    return {
      ...toExperimentCard(e),
      ownerName: ownerName ?? "",
      latest,
      starredByMe,
      // A private source is named by id only: its title is not the reader's to see.
      forkedFromTitle: source && isReadableBy(source, me) ? source.title : null,
      forkList: forks.map((f) => ({
        experimentId: f.id,
        title: f.title,
        fromVersion: f.forkedFromVersion!,
        visibility: f.visibility,
      })),
    };
  });

/** Whether `reader` may read an experiment (the rule readableExperiment enforces). */
const isReadableBy = (
  x: { visibility: string; ownerId: string },
  reader: Principal | null,
) =>
  x.visibility !== "private" ||
  x.ownerId === reader?.userId ||
  reader?.role === "admin";
