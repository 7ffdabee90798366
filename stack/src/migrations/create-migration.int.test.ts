import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeEach, expect, inject, it } from "vitest";
import { createMigration, type MigrationPaths } from "./create-migration.ts";

const repoRoot = path.resolve(import.meta.dirname, "..", "..", "..");
let paths: MigrationPaths;

beforeEach(() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "loupe-migrations-"));
  fs.cpSync(path.join(repoRoot, "prisma"), dir, { recursive: true });
  paths = {
    repoRoot,
    schemaFile: path.join(dir, "schema.prisma"),
    migrationsDir: path.join(dir, "migrations"),
  };
});

it("does nothing while the schema matches the last migration", () => {
  const outcome = createMigration(paths, "nothing", inject("databaseUrl"));
  expect(outcome.kind).toBe("unchanged");
});

it("writes the SQL of a schema change and a snapshot of the new schema", () => {
  const schema = fs.readFileSync(paths.schemaFile, "utf8");
  fs.writeFileSync(
    paths.schemaFile,
    `${schema}\nmodel Note {\n  id   Int    @id\n  text String\n  @@map("notes")\n}\n`,
  );
  const outcome = createMigration(
    paths,
    "add_notes",
    inject("databaseUrl"),
    new Date("2030-01-02T03:04:05Z"),
  );
  expect(outcome.kind).toBe("created");
  if (outcome.kind !== "created") return;
  expect(path.basename(outcome.dir)).toBe("20300102030405_add_notes");
  expect(outcome.sql).toContain('CREATE TABLE "notes"');
  expect(outcome.sql).not.toContain('CREATE TABLE "events"');
  expect(
    fs.readFileSync(path.join(outcome.dir, "schema.prisma"), "utf8"),
  ).toContain("model Note");
  // The snapshot makes the next diff start from the new schema.
  expect(createMigration(paths, "again", inject("databaseUrl")).kind).toBe(
    "unchanged",
  );
});

it("rejects a name that is not snake_case, saying what it expects", () => {
  expect(() =>
    createMigration(paths, "Add Notes", inject("databaseUrl")),
  ).toThrow(
    'migration name "Add Notes" must be snake_case letters and digits, e.g. add_runs',
  );
});
