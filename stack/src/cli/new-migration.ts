/**
 * `npm run db:migration:new -- <name>`: writes prisma/migrations/<time>_<name>/
 * with the SQL that takes the last migration's schema to prisma/schema.prisma.
 * Uses DATABASE_URL if set, else a throwaway local PostgreSQL (Prisma's CLI needs
 * a connection even to diff two schema files).
 */
import path from "node:path";
import { createMigration } from "../migrations/create-migration.ts";
import { repoRoot } from "../repo-root.ts";
import { startPostgres } from "../services/postgres.ts";

const name = process.argv[2];
if (!name) {
  console.error("usage: npm run db:migration:new -- <snake_case_name>");
  process.exit(2);
}

const home = path.join(repoRoot, ".loupe", "tools");
const server = process.env.DATABASE_URL
  ? undefined
  : await startPostgres(
      {
        port: 54350,
        dataDir: path.join(home, "postgres"),
        database: "loupe_migrations",
        user: "loupe",
        password: "loupe",
      },
      { logsDir: path.join(home, "logs"), fast: true },
    );
try {
  const outcome = createMigration(
    {
      repoRoot,
      schemaFile: path.join(repoRoot, "prisma", "schema.prisma"),
      migrationsDir: path.join(repoRoot, "prisma", "migrations"),
    },
    name,
    process.env.DATABASE_URL ?? server!.url,
  );
  if (outcome.kind === "unchanged") {
    console.log(
      `prisma/schema.prisma has not changed since ${outcome.latest}: no migration written.`,
    );
  } else {
    console.log(
      `wrote ${path.relative(repoRoot, outcome.dir)}/migration.sql:\n\n${outcome.sql}\n`,
    );
    console.log(
      "Review it, commit it, and `npm start` / `npm test` apply it with prisma migrate deploy.",
    );
  }
} finally {
  await server?.stop();
}
