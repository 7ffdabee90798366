import path from "node:path";
import { test as base, type APIRequestContext } from "@playwright/test";
import {
  bringUp,
  createDatabaseFromTemplate,
  resolveStackConfig,
  type RunningStack,
} from "@loupe/stack";

export { expect } from "@playwright/test";

/**
 * Signs a browser context (or request context) in through Auth.js's
 * credentials endpoint, as a real form post would: CSRF token first.
 */
export async function signIn(
  request: APIRequestContext,
  credentials: { email: string; password: string },
  /** The web app's URL, when not the context's base URL. */
  base = "",
): Promise<void> {
  const { csrfToken } = (await (
    await request.get(`${base}/api/auth/csrf`)
  ).json()) as {
    csrfToken: string;
  };
  const response = await request.post(`${base}/api/auth/callback/credentials`, {
    form: { csrfToken, ...credentials, callbackUrl: "/" },
  });
  if (!response.ok()) throw new Error(`sign-in failed: ${response.status()}`);
  const session = (await (
    await request.get(`${base}/api/auth/session`)
  ).json()) as {
    user?: { email?: string };
  } | null;
  if (session?.user?.email !== credentials.email)
    throw new Error(`sign-in did not take: ${JSON.stringify(session)}`);
}

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
