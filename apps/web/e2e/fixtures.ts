import path from "node:path";
import { test as base } from "@playwright/test";
import {
  bringUp,
  createDatabaseFromTemplate,
  resolveStackConfig,
  type RunningStack,
} from "@loupe/stack";

export { expect } from "@playwright/test";

/** The repository root, for the stack's state folders. */
export const repoRoot = path.resolve(import.meta.dirname, "..", "..", "..");

/** Folder for screenshots the specs take (git-ignored; look at them). */
export const screenshotsDir = path.join(import.meta.dirname, "screenshots");

/**
 * One stack for all specs of a Playwright worker: its own database (a copy of the
 * migrated test template), its own Temporal dev server (so a spec can stop and
 * restart it), the worker and the production build of the web app.
 */
export const test = base.extend<object, { stack: RunningStack }>({
  stack: [
    // Playwright reads a fixture's dependencies from this (empty) pattern.
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const templateUrl = process.env.DATABASE_URL;
      if (!templateUrl)
        throw new Error(
          "DATABASE_URL is not set: run browser tests through `npm test`",
        );
      const databaseUrl = await createDatabaseFromTemplate(
        templateUrl,
        "loupe_test_e2e",
      );
      const env = {
        ...process.env,
        DATABASE_URL: databaseUrl,
        TEMPORAL_ADDRESS: undefined,
        LOUPE_HOME: path.join(repoRoot, ".loupe", "e2e"),
        LOUPE_TEMPORAL_PORT: "7253",
        LOUPE_WEB_PORT: "3110",
      };
      const stack = await bringUp(resolveStackConfig("test", env, repoRoot), {
        apps: true,
      });
      await use(stack);
      await stack.stop();
    },
    { scope: "worker", timeout: 180_000 },
  ],
  baseURL: async ({ stack }, use) => use(stack.webUrl),
});
