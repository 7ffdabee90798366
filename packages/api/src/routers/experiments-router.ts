import { randomUUID } from "node:crypto";
import {
  appendDomainEvents,
  commitExperimentVersion,
  domainEvents,
  readStream,
  streams,
  type Database,
} from "@loupe/db";
import { diffGraphs, formatGraphDiff, parseGraphOrThrow } from "@loupe/graph";
import { z } from "zod";
import { notFound, toApiError } from "../errors.ts";
import {
  ownedExperiment,
  readableExperiment,
} from "../experiments/experiment-access.ts";
import { checkGraphForModel } from "../graphs/validate-for-model.ts";
import {
  approvedProcedure,
  publicProcedure,
  readProcedure,
  router,
  scopedProcedure,
} from "../trpc.ts";

const id = z.string().min(1).max(200);
const visibility = z.enum(["private", "unlisted", "public"]);
const version = z.number().int().min(1);
const graphInput = z.object({
  model: z.string().min(1),
  /** A loupe.graph document, validated against the model before it is stored. */
  graph: z.unknown(),
  message: z.string().max(2000).default(""),
});

async function versionOf(db: Database, experimentId: string, v: number) {
  const row = await db.experimentVersion.findUnique({
    where: { experimentId_version: { experimentId, version: v } },
  });
  if (!row) throw notFound(`version ${v} of experiment ${experimentId}`);
  return row;
}

const card = (e: {
  id: string;
  ownerId: string;
  title: string;
  description: string;
  visibility: string;
  license: string;
  forkedFromId: string | null;
  forkedFromVersion: number | null;
  latestVersion: number;
  stars: number;
  createdAt: Date;
  updatedAt: Date;
}) => ({
  id: e.id,
  ownerId: e.ownerId,
  title: e.title,
  description: e.description,
  visibility: e.visibility,
  license: e.license,
  forkedFrom:
    e.forkedFromId === null
      ? null
      : { experimentId: e.forkedFromId, version: e.forkedFromVersion! },
  latestVersion: e.latestVersion,
  stars: e.stars,
  createdAt: e.createdAt,
  updatedAt: e.updatedAt,
});

/**
 * Experiments: a title, a license, a visibility, and a history of immutable
 * graph versions (its event stream). Forks point at the version they came from.
 */
export const experimentsRouter = router({
  create: approvedProcedure("experiments:write")
    .input(
      z.object({
        title: z.string().min(1).max(200),
        description: z.string().max(10_000).default(""),
        visibility: visibility.default("private"),
        license: z.string().min(1).max(100).default("CC-BY-4.0"),
        initial: graphInput.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { db } = ctx.services;
      const checked =
        input.initial &&
        (await checkGraphForModel(
          db,
          input.initial.model,
          input.initial.graph,
        ));
      const experimentId = randomUUID();
      const stream = streams.experiment(experimentId);
      const events = [
        domainEvents.event(stream, "experiment.created", {
          experimentId,
          ownerId: ctx.principal.userId,
          title: input.title,
          description: input.description,
          visibility: input.visibility,
          license: input.license,
          forkedFrom: null,
        }),
      ];
      if (checked)
        events.push(
          domainEvents.event(stream, "experiment.version_committed", {
            experimentId,
            version: 1,
            authorId: ctx.principal.userId,
            message: input.initial!.message,
            model: checked.model.name,
            graphHash: checked.graphHash,
            graph: checked.document,
          }),
        );
      await appendDomainEvents(db, events, { expectedVersion: 0 });
      return { experimentId, version: checked ? 1 : 0 };
    }),

  commitVersion: approvedProcedure("experiments:write")
    .input(
      graphInput.extend({
        experimentId: id,
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
      }).catch(toApiError);
    }),

  fork: approvedProcedure("experiments:write")
    .input(
      z.object({
        experimentId: id,
        version,
        title: z.string().min(1).max(200).optional(),
        visibility: visibility.default("private"),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { db } = ctx.services;
      const source = await readableExperiment(
        db,
        ctx.principal,
        input.experimentId,
      );
      const from = await versionOf(db, input.experimentId, input.version);
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
    }),

  get: readProcedure("experiments:read")
    .input(z.object({ experimentId: id }))
    .query(async ({ ctx, input }) => {
      const { db } = ctx.services;
      const e = await readableExperiment(db, ctx.principal, input.experimentId);
      const [latest, starred] = await Promise.all([
        e.latestVersion > 0
          ? versionOf(db, e.id, e.latestVersion)
          : Promise.resolve(null),
        ctx.principal
          ? db.experimentStar.findUnique({
              where: {
                experimentId_userId: {
                  experimentId: e.id,
                  userId: ctx.principal.userId,
                },
              },
            })
          : Promise.resolve(null),
      ]);
      return { ...card(e), latest, starredByMe: starred !== null };
    }),

  version: readProcedure("experiments:read")
    .input(z.object({ experimentId: id, version }))
    .query(async ({ ctx, input }) => {
      const { db } = ctx.services;
      await readableExperiment(db, ctx.principal, input.experimentId);
      return versionOf(db, input.experimentId, input.version);
    }),

  /** The experiment's stream: every fact about it, in order. */
  history: readProcedure("experiments:read")
    .input(z.object({ experimentId: id }))
    .query(async ({ ctx, input }) => {
      const { db } = ctx.services;
      await readableExperiment(db, ctx.principal, input.experimentId);
      const events = await readStream(
        db,
        streams.experiment(input.experimentId),
      );
      return events.map((stored) => {
        const e = domainEvents.parse(stored);
        const { graph: _graph, ...summary } = e.payload as Record<
          string,
          unknown
        >;
        return {
          version: stored.version,
          type: e.type,
          time: stored.time,
          ...summary,
        };
      });
    }),

  diff: readProcedure("experiments:read")
    .input(z.object({ experimentId: id, from: version, to: version }))
    .query(async ({ ctx, input }) => {
      const { db } = ctx.services;
      await readableExperiment(db, ctx.principal, input.experimentId);
      const [a, b] = await Promise.all([
        versionOf(db, input.experimentId, input.from),
        versionOf(db, input.experimentId, input.to),
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
    }),

  /** The gallery: public experiments (never unlisted or private), searched and sorted. */
  searchPublic: publicProcedure
    .input(
      z.object({
        query: z.string().max(200).default(""),
        sort: z.enum(["stars", "recent"]).default("recent"),
        limit: z.number().int().min(1).max(100).default(20),
        offset: z.number().int().min(0).default(0),
      }),
    )
    .query(async ({ ctx, input }) => {
      const q = input.query.trim();
      const rows = await ctx.services.db.experiment.findMany({
        where: {
          visibility: "public",
          ...(q
            ? {
                OR: [
                  { title: { contains: q, mode: "insensitive" as const } },
                  {
                    description: { contains: q, mode: "insensitive" as const },
                  },
                ],
              }
            : {}),
        },
        orderBy:
          input.sort === "stars"
            ? [{ stars: "desc" }, { updatedAt: "desc" }]
            : [{ updatedAt: "desc" }],
        take: input.limit,
        skip: input.offset,
      });
      return rows.map(card);
    }),

  mine: scopedProcedure("experiments:read").query(async ({ ctx }) => {
    const rows = await ctx.services.db.experiment.findMany({
      where: { ownerId: ctx.principal.userId },
      orderBy: { updatedAt: "desc" },
    });
    return rows.map(card);
  }),

  star: scopedProcedure("experiments:write")
    .input(z.object({ experimentId: id, starred: z.boolean() }))
    .mutation(async ({ ctx, input }) => {
      const { db } = ctx.services;
      await readableExperiment(db, ctx.principal, input.experimentId);
      const key = {
        experimentId: input.experimentId,
        userId: ctx.principal.userId,
      };
      const has = await db.experimentStar.findUnique({
        where: { experimentId_userId: key },
      });
      if (Boolean(has) !== input.starred)
        await appendDomainEvents(db, [
          domainEvents.event(
            streams.experiment(input.experimentId),
            input.starred ? "experiment.starred" : "experiment.unstarred",
            key,
          ),
        ]);
      const e = await db.experiment.findUniqueOrThrow({
        where: { id: input.experimentId },
      });
      return { starred: input.starred, stars: e.stars };
    }),

  setVisibility: scopedProcedure("experiments:write")
    .input(z.object({ experimentId: id, visibility }))
    .mutation(async ({ ctx, input }) => {
      const { db } = ctx.services;
      const e = await ownedExperiment(db, ctx.principal, input.experimentId);
      if (e.visibility !== input.visibility)
        await appendDomainEvents(db, [
          domainEvents.event(
            streams.experiment(e.id),
            "experiment.visibility_changed",
            {
              experimentId: e.id,
              visibility: input.visibility,
              by: ctx.principal.userId,
            },
          ),
        ]);
      return { visibility: input.visibility };
    }),
});
