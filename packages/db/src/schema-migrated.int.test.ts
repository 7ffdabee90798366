import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { expect, inject, it } from "vitest";

const repoRoot = path.resolve(import.meta.dirname, "..", "..", "..");
const migrationsDir = path.join(repoRoot, "prisma", "migrations");

it("has a committed migration for every change of prisma/schema.prisma", () => {
  const latest = fs
    .readdirSync(migrationsDir)
    .filter((d) => fs.existsSync(path.join(migrationsDir, d, "migration.sql")))
    .sort()
    .at(-1);
  expect(latest, "no migration folder found").toBeDefined();
  const snapshot = path.join(migrationsDir, latest!, "schema.prisma");
  expect(
    fs.existsSync(snapshot),
    `${latest} lacks its schema.prisma snapshot`,
  ).toBe(true);
  const diff = spawnSync(
    path.join(repoRoot, "node_modules", ".bin", "prisma"),
    [
      "migrate",
      "diff",
      "--from-schema-datamodel",
      snapshot,
      "--to-schema-datamodel",
      path.join(repoRoot, "prisma", "schema.prisma"),
      "--script",
      "--exit-code",
    ],
    {
      cwd: repoRoot,
      encoding: "utf8",
      env: { ...process.env, DATABASE_URL: inject("databaseUrl") },
    },
  );
  // --exit-code: 0 = no difference, 2 = the schema changed without a migration.
  expect(
    diff.status,
    `schema.prisma differs from migration ${latest}; run npm run db:migration:new -- <name>:\n${diff.stdout}${diff.stderr}`,
  ).toBe(0);
});
