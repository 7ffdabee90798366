import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/** Where the schema and its migrations live, and the Prisma CLI to diff them with. */
export interface MigrationPaths {
  readonly repoRoot: string;
  readonly schemaFile: string;
  readonly migrationsDir: string;
}

/** What createMigration did. */
export type MigrationOutcome =
  | { readonly kind: "created"; readonly dir: string; readonly sql: string }
  | { readonly kind: "unchanged"; readonly latest: string };

/**
 * Creates a migration by diffing prisma/schema.prisma against the schema as of the
 * last committed migration, whose folder keeps a `schema.prisma` snapshot beside
 * its `migration.sql`. (Prisma's own `migrate dev` needs a shadow database, which
 * its driver-adapter mode does not support; the snapshot makes the diff exact
 * without one.) Prisma's CLI still opens a connection, hence `databaseUrl`.
 */
export function createMigration(
  paths: MigrationPaths,
  name: string,
  databaseUrl: string,
  now = new Date(),
): MigrationOutcome {
  if (!/^[a-z0-9]+(_[a-z0-9]+)*$/.test(name)) {
    throw new Error(
      `migration name "${name}" must be snake_case letters and digits, e.g. add_runs`,
    );
  }
  const latest = fs
    .readdirSync(paths.migrationsDir)
    .filter((d) =>
      fs.existsSync(path.join(paths.migrationsDir, d, "migration.sql")),
    )
    .sort()
    .at(-1);
  const from =
    latest === undefined
      ? ["--from-empty"]
      : ["--from-schema-datamodel", snapshotOf(paths, latest)];
  const diff = spawnSync(
    path.join(paths.repoRoot, "node_modules", ".bin", "prisma"),
    [
      "migrate",
      "diff",
      ...from,
      "--to-schema-datamodel",
      paths.schemaFile,
      "--script",
    ],
    {
      cwd: paths.repoRoot,
      encoding: "utf8",
      env: { ...process.env, DATABASE_URL: databaseUrl },
    },
  );
  if (diff.status !== 0)
    throw new Error(
      `prisma migrate diff failed:\n${diff.stdout}${diff.stderr}`,
    );
  const sql = diff.stdout.trim();
  if (
    latest !== undefined &&
    (sql === "" || sql === "-- This is an empty migration.")
  ) {
    return { kind: "unchanged", latest };
  }
  const stamp = now.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  const dir = path.join(paths.migrationsDir, `${stamp}_${name}`);
  if (fs.existsSync(dir)) throw new Error(`${dir} already exists`);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "migration.sql"), `${sql}\n`);
  fs.copyFileSync(paths.schemaFile, path.join(dir, "schema.prisma"));
  return { kind: "created", dir, sql };
}

function snapshotOf(paths: MigrationPaths, migration: string): string {
  const snapshot = path.join(paths.migrationsDir, migration, "schema.prisma");
  if (!fs.existsSync(snapshot)) {
    throw new Error(
      `${migration} has no schema.prisma snapshot: copy the schema as of that migration there`,
    );
  }
  return snapshot;
}
