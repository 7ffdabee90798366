import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import type { AppsEnv } from "./apps.ts";

/** What seeding did (see packages/api/src/seed), for the start banner and tests. */
export interface SeedReport {
  readonly admin: { email: string; password: string; created: boolean };
  readonly demoExperimentId: string | null;
  readonly demoExperiments: {
    title: string;
    experimentId: string;
    runId: string | null;
    status: string;
  }[];
}

/**
 * Seeds the running platform: the administrator and the gallery's example
 * experiments on each hosted bundled model (models/facts, models/minilm), each
 * with a completed run. Runs the API's seed command as a child process (the
 * stack imports no internal package) and reads its one-line JSON report.
 */
export async function seedPlatform(
  apps: AppsEnv,
  admin: { email: string; password: string },
): Promise<SeedReport> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", path.join("packages", "api", "src", "seed", "main.ts")],
    {
      cwd: apps.repoRoot,
      env: {
        ...process.env,
        DATABASE_URL: apps.databaseUrl,
        TEMPORAL_ADDRESS: apps.temporalAddress,
        TEMPORAL_NAMESPACE: apps.temporalNamespace,
        LOUPE_ADMIN_EMAIL: admin.email,
        LOUPE_ADMIN_PASSWORD: admin.password,
      },
      timeout: 600_000,
    },
  );
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as SeedReport;
}
