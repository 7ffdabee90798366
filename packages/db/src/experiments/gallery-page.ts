import type { Database } from "../create-database.ts";
import { Prisma } from "../generated/prisma/client.ts";

/** The gallery's orders; each has its own index (see prisma/schema.prisma). */
export const GALLERY_SORTS = ["recent", "stars", "forks"] as const;
export type GallerySort = (typeof GALLERY_SORTS)[number];

export interface GalleryQuery {
  /** Words to find in the title or description (case-insensitive); "" for all. */
  readonly text?: string;
  readonly model?: string;
  readonly tag?: string;
  readonly sort: GallerySort;
  /** The id of the last experiment of the previous page (its `nextCursor`). */
  readonly after?: string | null;
  readonly limit: number;
}

/** One public experiment as the gallery lists it. */
export interface GalleryRow {
  id: string;
  ownerId: string;
  ownerName: string;
  title: string;
  description: string;
  license: string;
  model: string | null;
  tags: string[];
  stars: number;
  forks: number;
  latestVersion: number;
  forkedFromId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface GalleryPage {
  readonly items: GalleryRow[];
  /** Pass as `after` for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

// The sort key of each order, most significant first; every key ends in id so
// the order is total and a page boundary is never ambiguous.
const ORDER: Record<GallerySort, { columns: Prisma.Sql; desc: Prisma.Sql }> = {
  recent: {
    columns: Prisma.sql`e.updated_at, e.id`,
    desc: Prisma.sql`e.updated_at DESC, e.id DESC`,
  },
  stars: {
    columns: Prisma.sql`e.stars, e.id`,
    desc: Prisma.sql`e.stars DESC, e.id DESC`,
  },
  forks: {
    columns: Prisma.sql`e.forks, e.id`,
    desc: Prisma.sql`e.forks DESC, e.id DESC`,
  },
};

/** `%` and `_` are ILIKE wildcards: a search for "50%" means the characters. */
const likePattern = (text: string) =>
  `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The SQL of one gallery page. Keyset pagination: the page after `after`
 * starts below that experiment's own sort key (a row-value comparison the
 * order's index answers directly), so a deep page costs what the first does;
 * OFFSET would read and discard every row before it.
 */
export function gallerySql(query: GalleryQuery): Prisma.Sql {
  const order = ORDER[query.sort];
  const where: Prisma.Sql[] = [Prisma.sql`e.visibility = 'public'`];
  const text = query.text?.trim();
  if (text) {
    const pattern = likePattern(text);
    where.push(
      Prisma.sql`(e.title ILIKE ${pattern} OR e.description ILIKE ${pattern})`,
    );
  }
  if (query.model) where.push(Prisma.sql`e.model = ${query.model}`);
  if (query.tag) where.push(Prisma.sql`e.tags @> ARRAY[${query.tag}]::text[]`);
  if (query.after)
    where.push(
      Prisma.sql`(${order.columns}) < (SELECT ${Prisma.raw(
        query.sort === "recent"
          ? "c.updated_at"
          : query.sort === "stars"
            ? "c.stars"
            : "c.forks",
      )}, c.id FROM experiments c WHERE c.id = ${query.after})`,
    );
  return Prisma.sql`
    SELECT e.id, e.owner_id AS "ownerId", coalesce(a.name, '') AS "ownerName",
           e.title, e.description, e.license, e.model, coalesce(e.tags, '{}') AS tags,
           e.stars, e.forks, e.latest_version AS "latestVersion",
           e.forked_from_id AS "forkedFromId",
           e.created_at AS "createdAt", e.updated_at AS "updatedAt"
      FROM experiments e
      LEFT JOIN accounts a ON a.id = e.owner_id
     WHERE ${Prisma.join(where, " AND ")}
     ORDER BY ${order.desc}
     LIMIT ${query.limit + 1}`;
}

/** One page of the public gallery, newest (or most starred, or most forked) first. */
export async function queryGalleryPage(
  db: Database,
  query: GalleryQuery,
): Promise<GalleryPage> {
  const rows = await db.$queryRaw<GalleryRow[]>(gallerySql(query));
  const more = rows.length > query.limit;
  const items = more ? rows.slice(0, query.limit) : rows;
  return {
    items,
    nextCursor: more ? (items.at(-1)?.id ?? null) : null,
  };
}

/** PostgreSQL's plan for a gallery page (EXPLAIN, not run): what the tests check indexes against. */
export async function explainGalleryPage(
  db: Database,
  query: GalleryQuery,
): Promise<string> {
  const rows = await db.$queryRaw<{ "QUERY PLAN": string }[]>(
    Prisma.sql`EXPLAIN ${gallerySql(query)}`,
  );
  return rows.map((r) => r["QUERY PLAN"]).join("\n");
}
