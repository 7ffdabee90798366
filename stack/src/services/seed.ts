import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { z } from "zod";
import type { AppsEnv } from "./apps.ts";

/**
 * The one-line JSON report the API's seed command prints (packages/api/src/seed),
 * parsed as it crosses the process boundary: the stack imports no internal
 * package, so a report the command changed fails here, naming the field,
 * rather than further on.
 */
const seedReportSchema = z.object({
  admin: z.object({
    email: z.string(),
    password: z.string(),
    created: z.boolean(),
  }),
  demoExperimentId: z.string().nullable(),
  demoExperiments: z.array(
    z.object({
      title: z.string(),
      experimentId: z.string(),
      runId: z.string().nullable(),
      status: z.string(),
    }),
  ),
});

/** What seeding did, for the start banner and tests. */
export type SeedReport = z.infer<typeof seedReportSchema>;

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
  return parseSeedReport(stdout);
}

/** The report in the seed command's output: its last line, parsed. */
export function parseSeedReport(stdout: string): SeedReport {
  const last = stdout.trim().split("\n").at(-1) ?? "";
  return seedReportSchema.parse(JSON.parse(last));
}
