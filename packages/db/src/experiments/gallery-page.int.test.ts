import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Prisma } from "../generated/prisma/client.ts";
import { connectTestDatabase, truncateAll } from "../testing/index.ts";
import {
  explainGalleryPage,
  GALLERY_SORTS,
  gallerySql,
  queryGalleryPage,
  type GalleryQuery,
  type GalleryRow,
} from "./gallery-page.ts";

const db = connectTestDatabase(inject("databaseUrl"));
const COUNT = 10_000;

/**
 * 10,000 experiments straight into the read model (the query under test reads
 * only it): a tenth private or unlisted, stars and forks with many ties (so
 * pages break inside runs of equal keys), three models, a few tags.
 */
beforeAll(async () => {
  await truncateAll(db);
  await db.$executeRaw`
    INSERT INTO accounts (id, email, name, role, access, created_at, updated_at)
    VALUES ('owner', 'owner@example.com', 'Owner', 'researcher', 'approved', now(), now())`;
  await db.$executeRaw`
    INSERT INTO experiments (id, owner_id, title, description, visibility, license,
                             latest_version, model, tags, stars, forks, created_at, updated_at)
    SELECT 'x' || lpad(i::text, 5, '0'), 'owner',
           'Experiment ' || i || CASE WHEN i % 7 = 0 THEN ' logit lens' ELSE '' END,
           'description of ' || i,
           CASE WHEN i % 10 = 0 THEN 'private' WHEN i % 10 = 5 THEN 'unlisted' ELSE 'public' END,
           'CC-BY-4.0', 1,
           (ARRAY['facts-gpt2', 'gpt2', 'pythia-70m'])[1 + i % 3],
           CASE WHEN i % 4 = 0 THEN ARRAY['patching'] ELSE ARRAY['lens', 'gpt2'] END,
           (i * 37) % 50, (i * 11) % 13,
           timestamptz '2026-01-01' + (i % 997) * interval '1 minute',
           timestamptz '2026-01-01' + (i % 997) * interval '1 minute'
      FROM generate_series(1, ${COUNT}) AS i`;
  await db.$executeRaw`ANALYZE experiments`;
}, 60_000);
afterAll(async () => {
  await truncateAll(db);
  await db.$disconnect();
});

async function walk(query: Omit<GalleryQuery, "after">): Promise<GalleryRow[]> {
  const all: GalleryRow[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await queryGalleryPage(db, { ...query, after });
    all.push(...page.items);
    if (!page.nextCursor) return all;
    after = page.nextCursor;
  }
}

describe("the gallery's pages", () => {
  for (const sort of GALLERY_SORTS)
    it(`by ${sort}: keyset pages list every public experiment once, in order`, async () => {
      const rows = await walk({ sort, limit: 700 });
      const key = (r: GalleryRow) =>
        sort === "recent"
          ? r.updatedAt.getTime()
          : sort === "stars"
            ? r.stars
            : r.forks;
      const expected = [...rows].sort(
        (a, b) => key(b) - key(a) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
      );
      expect(rows.length).toBe(COUNT * 0.8);
      expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
      expect(rows.map((r) => r.id)).toEqual(expected.map((r) => r.id));
      expect(rows.every((r) => r.ownerName === "Owner")).toBe(true);
    });

  it("filters by model, tag and text, and never lists unlisted or private ones", async () => {
    const rows = await walk({
      sort: "stars",
      model: "gpt2",
      tag: "patching",
      text: "LOGIT lens",
      limit: 50,
    });
    // i % 7 == 0 (title), i % 3 == 1 (gpt2), i % 4 == 0 (patching), public.
    const expected = [];
    for (let i = 1; i <= COUNT; i++)
      if (
        i % 7 === 0 &&
        i % 3 === 1 &&
        i % 4 === 0 &&
        i % 10 !== 0 &&
        i % 10 !== 5
      )
        expected.push(`x${String(i).padStart(5, "0")}`);
    expect(rows.map((r) => r.id).sort()).toEqual(expected.sort());
    expect(
      await queryGalleryPage(db, { sort: "recent", text: "50%", limit: 5 }),
    ).toEqual({ items: [], nextCursor: null });
  });

  it("answers the first and a deep page from the order's index, never a sequential scan", async () => {
    const deep = await walk({ sort: "recent", limit: 1000 });
    const cursorOf = (rows: GalleryRow[]) => rows[rows.length - 20]!.id;
    for (const sort of GALLERY_SORTS) {
      const rows = sort === "recent" ? deep : await walk({ sort, limit: 1000 });
      for (const after of [null, cursorOf(rows)]) {
        const plan = await explainGalleryPage(db, { sort, after, limit: 24 });
        expect(plan, `${sort}, after ${after}`).toContain(
          `Index Scan using experiments_gallery_${sort}_idx on experiments e`,
        );
        expect(plan, `${sort}, after ${after}`).not.toMatch(
          /Seq Scan on experiments/,
        );
        // Reported, not asserted (timings belong in benchmarks, not tests).
        const analyzed = await db.$queryRaw<{ "QUERY PLAN": string }[]>(
          Prisma.sql`EXPLAIN (ANALYZE) ${gallerySql({ sort, after, limit: 24 })}`,
        );
        const time = analyzed
          .map((r) => r["QUERY PLAN"])
          .find((l) => l.startsWith("Execution Time"));
        console.log(
          `gallery page of 24 by ${sort}, ${after ? "deep (after row ~7980)" : "first"}: ${time}`,
        );
      }
    }
    const byModel = await explainGalleryPage(db, {
      sort: "recent",
      model: "gpt2",
      after: cursorOf(deep),
      limit: 24,
    });
    expect(byModel).toContain(
      "Index Scan using experiments_gallery_model_recent_idx on experiments e",
    );
  });
});
