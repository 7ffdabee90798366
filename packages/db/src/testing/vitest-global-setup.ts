/**
 * Vitest global setup of integration tests: gives the package its own database,
 * `loupe_test_<package>`, copied from the migrated `loupe_test` template, so that
 * packages tested in parallel never truncate each other's rows.
 */
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { assertLocalDatabaseUrl } from "./assert-local-database-url.ts";

export default async function setup(
  project: TestProject,
): Promise<() => Promise<void>> {
  const templateUrl = assertLocalDatabaseUrl(process.env.DATABASE_URL);
  const temporalAddress = process.env.TEMPORAL_ADDRESS;
  if (!temporalAddress)
    throw new Error(
      "TEMPORAL_ADDRESS is not set: run integration tests through `npm test`",
    );
  const template = new URL(templateUrl).pathname.slice(1);
  const name = `${template}_${path
    .basename(project.config.root)
    .replace(/[^a-z0-9]/gi, "_")
    .toLowerCase()}`;
  const adminUrl = new URL(templateUrl);
  adminUrl.pathname = "/postgres";
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(templateUrl);
  url.pathname = `/${name}`;
  project.provide("databaseUrl", url.toString());
  project.provide("temporalAddress", temporalAddress);
  return async () => {
    const client = new pg.Client({ connectionString: adminUrl.toString() });
    await client.connect();
    await client
      .query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
      .finally(() => client.end());
  };
}
