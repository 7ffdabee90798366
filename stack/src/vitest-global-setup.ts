/**
 * Vitest global setup of every package's integration tests (see vitest.shared.ts):
 * gives the package its own database, `loupe_test_<package>`, copied from the
 * migrated `loupe_test` template, so that packages tested in parallel never
 * truncate each other's rows; drops it afterwards.
 */
import path from "node:path";
import type { TestProject } from "vitest/node";
import {
  createDatabaseFromTemplate,
  dropDatabase,
} from "./services/test-database.ts";

const LOCAL_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"];

export default async function setup(
  project: TestProject,
): Promise<() => Promise<void>> {
  const templateUrl = process.env.DATABASE_URL;
  const temporalAddress = process.env.TEMPORAL_ADDRESS;
  if (!templateUrl || !temporalAddress) {
    throw new Error(
      "DATABASE_URL and TEMPORAL_ADDRESS must be set: run integration tests through `npm test`, which starts PostgreSQL and Temporal",
    );
  }
  const host = new URL(templateUrl).hostname;
  if (!LOCAL_HOSTS.includes(host))
    throw new Error(
      `refusing to run tests against the non-local database host "${host}"`,
    );
  const suffix = path
    .basename(project.config.root)
    .replace(/[^a-z0-9]/gi, "_")
    .toLowerCase();
  const name = `${new URL(templateUrl).pathname.slice(1)}_${suffix}`;
  const url = await createDatabaseFromTemplate(templateUrl, name);
  project.provide("databaseUrl", url);
  project.provide("temporalAddress", temporalAddress);
  return () => dropDatabase(url);
}
