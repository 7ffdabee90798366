import path from "node:path";
import {
  bringUp,
  createDatabaseFromTemplate,
  resolveStackConfig,
} from "@loupe/stack";
import type { TestProject } from "vitest/node";

/** The repository root, for the stack's state folder and the bundled model. */
const repoRoot = path.resolve(import.meta.dirname, "..", "..", "..");

/**
 * A whole Loupe for the SDK's end-to-end tests: its own copy of the migrated
 * test database, its own Temporal dev server, the worker with the bundled
 * model, and the built web app, on ports no other suite uses.
 */
export default async function setup(
  project: TestProject,
): Promise<() => Promise<void>> {
  const templateUrl = process.env.DATABASE_URL;
  if (!templateUrl)
    throw new Error(
      "DATABASE_URL is not set: run the SDK's end-to-end tests through `npm test`",
    );
  const env = {
    ...process.env,
    DATABASE_URL: await createDatabaseFromTemplate(
      templateUrl,
      "loupe_test_sdk_e2e",
    ),
    TEMPORAL_ADDRESS: undefined,
    LOUPE_HOME: path.join(repoRoot, ".loupe", "e2e-sdk"),
    LOUPE_TEMPORAL_PORT: "7263",
    LOUPE_WEB_PORT: "3120",
  };
  const stack = await bringUp(resolveStackConfig("test", env, repoRoot), {
    apps: true,
  });
  project.provide("webUrl", stack.webUrl!);
  project.provide("admin", {
    email: stack.seeded!.admin.email,
    password: stack.seeded!.admin.password,
  });
  return () => stack.stop();
}

declare module "vitest" {
  export interface ProvidedContext {
    /** The stack's web app (and API), e.g. http://127.0.0.1:3120. */
    webUrl: string;
    /** The seeded administrator's sign-in. */
    admin: { email: string; password: string };
  }
}
