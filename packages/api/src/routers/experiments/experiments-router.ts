import { randomUUID } from "node:crypto";
import {
  appendDomainEvents,
  commitExperimentVersion,
  domainEvents,
  EXPERIMENT_TAG,
  GALLERY_SORTS,
  queryGalleryPage,
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
/** Gallery labels: trimmed, lower-cased, deduplicated before they are checked. */
const tags = z
  .array(z.string().trim().toLowerCase())
  .max(10, "at most 10 tags")
  .transform((t) => [...new Set(t.filter((x) => x !== ""))])
  .pipe(
    z.array(
      z
        .string()
        .regex(
          EXPERIMENT_TAG,
          "a tag is 1-32 characters of a-z, 0-9 and -, starting with a letter or digit",
        ),
    ),
  );
const license = z.string().trim().min(1).max(100);
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
  model: string | null;
  tags: string[];
  stars: number;
  forks: number;
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
  model: e.model,
  tags: e.tags,
  stars: e.stars,
  forks: e.forks,
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
        license: license.default("CC-BY-4.0"),
        tags: tags.default([]),
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
          tags: input.tags,
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
            tags: source.tags,
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
      const me = ctx.principal;
      const [latest, starred, owner, source, forks] = await Promise.all([
        e.latestVersion > 0
          ? versionOf(db, e.id, e.latestVersion)
          : Promise.resolve(null),
        me
          ? db.experimentStar.findUnique({
              where: {
                experimentId_userId: { experimentId: e.id, userId: me.userId },
              },
            })
          : Promise.resolve(null),
        db.account.findUnique({ where: { id: e.ownerId } }),
        e.forkedFromId
          ? db.experiment.findUnique({ where: { id: e.forkedFromId } })
          : Promise.resolve(null),
        // Lineage downwards: the forks this caller may read.
        db.experiment.findMany({
          where: {
            forkedFromId: e.id,
            ...(me?.role === "admin"
              ? {}
              : {
                  OR: [
                    { visibility: { in: ["public", "unlisted"] } },
                    ...(me ? [{ ownerId: me.userId }] : []),
                  ],
                }),
          },
          orderBy: { createdAt: "asc" },
          take: 100,
        }),
      ]);
      const readable = (x: { visibility: string; ownerId: string }) =>
        x.visibility !== "private" ||
        x.ownerId === me?.userId ||
        me?.role === "admin";
      return {
        ...card(e),
        ownerName: owner?.name ?? "",
        latest,
        starredByMe: starred !== null,
        // A private source is named by id only: its title is not the reader's to see.
        forkedFromTitle: source && readable(source) ? source.title : null,
        forkList: forks.map((f) => ({
          experimentId: f.id,
          title: f.title,
          fromVersion: f.forkedFromVersion!,
          visibility: f.visibility,
        })),
      };
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
          ...summary,
          /** The event's place in the experiment's stream (1, 2, ...). */
          seq: stored.version,
          type: e.type,
          time: stored.time,
          /** The experiment version it committed, for `experiment.version_committed`. */
          version: typeof summary.version === "number" ? summary.version : null,
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

  /**
   * The gallery: public experiments (never unlisted or private), searched,
   * filtered by model and tag, sorted, and paged by keyset (`after` is the
   * previous page's `nextCursor`).
   */
  gallery: publicProcedure
    .input(
      z.object({
        text: z.string().max(200).default(""),
        model: z.string().min(1).max(200).optional(),
        tag: z.string().trim().toLowerCase().max(32).optional(),
        sort: z.enum(GALLERY_SORTS).default("recent"),
        after: id.nullish(),
        limit: z.number().int().min(1).max(100).default(24),
      }),
    )
    .query(async ({ ctx, input }) => queryGalleryPage(ctx.services.db, input)),

  /** Every run of an experiment (any version), newest first: who may read the experiment may read them. */
  runs: readProcedure("experiments:read")
    .input(
      z.object({
        experimentId: id,
        limit: z.number().int().min(1).max(200).default(50),
      }),
    )
    .query(async ({ ctx, input }) => {
      const { db } = ctx.services;
      await readableExperiment(db, ctx.principal, input.experimentId);
      const rows = await db.run.findMany({
        where: { experimentId: input.experimentId },
        orderBy: { requestedAt: "desc" },
        take: input.limit,
      });
      return rows.map((r) => ({
        runId: r.id,
        version: r.experimentVersion,
        status: r.status,
        cached: r.cached,
        requestedAt: r.requestedAt,
        finishedAt: r.finishedAt,
      }));
    }),

  /** The owner edits what the gallery shows: title, description (markdown), tags, license. */
  describe: scopedProcedure("experiments:write")
    .input(
      z.object({
        experimentId: id,
        title: z.string().trim().min(1).max(200),
        description: z.string().max(10_000),
        tags,
        license,
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { db } = ctx.services;
      const e = await ownedExperiment(db, ctx.principal, input.experimentId);
      await appendDomainEvents(db, [
        domainEvents.event(streams.experiment(e.id), "experiment.described", {
          ...input,
          by: ctx.principal.userId,
        }),
      ]);
      return card(
        await db.experiment.findUniqueOrThrow({ where: { id: e.id } }),
      );
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
