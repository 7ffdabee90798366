/**
 * `npm test`: installs what is missing, starts the services the tests need
 * (PostgreSQL, Temporal), runs static checks, unit, integration and browser
 * tests, stops what it started, and exits non-zero if anything failed.
 *
 * Flags: --skip-static, --skip-e2e (for quicker local loops; CI runs everything).
 */
import fs from "node:fs";
import path from "node:path";
import { bringUp, type RunningStack } from "../bring-up.ts";
import { resolveStackConfig } from "../config.ts";
import { repoRoot } from "../repo-root.ts";
import { PhaseClock } from "../phases.ts";
import {
  chromiumRequirement,
  ensureDebianPackages,
} from "../services/debian-packages.ts";
import { findPostgresBinDir } from "../services/postgres.ts";
import { runTool } from "../services/run-tool.ts";
import { ensureTemporalBinary } from "../services/temporal.ts";
import { failedTests, sumTestResults } from "../test-results.ts";

const args = new Set(process.argv.slice(2));
const config = resolveStackConfig("test", process.env, repoRoot);
const clock = new PhaseClock();
clock.record(
  "npm dependencies (npm ci when the lockfile changed)",
  Number(process.env.LOUPE_INSTALL_SECONDS ?? 0),
);
const failures: string[] = [];
const resultsDir = path.join(repoRoot, ".loupe", "test-results");
fs.rmSync(resultsDir, { recursive: true, force: true });
let stack: RunningStack | undefined;

/** Runs a test phase; a failure is recorded and the remaining phases still run. */
async function testPhase(
  name: string,
  tool: string,
  toolArgs: string[],
  env: NodeJS.ProcessEnv = process.env,
) {
  try {
    await clock.run(name, async () => {
      const code = await runTool(repoRoot, tool, toolArgs, env);
      if (code !== 0) throw new Error(`exit code ${code}`);
    });
  } catch {
    failures.push(name);
  }
}

const interrupt = async () => {
  console.log("\ninterrupted: stopping test services…");
  await stack?.stop();
  process.exit(130);
};
process.on("SIGINT", () => void interrupt());
process.on("SIGTERM", () => void interrupt());

try {
  await clock.run(
    "system packages (PostgreSQL, Chromium, Temporal dev server)",
    () => {
      ensureDebianPackages([
        { pkg: "postgresql", probe: () => findPostgresBinDir() !== undefined },
        ...(args.has("--skip-e2e") ? [] : [chromiumRequirement]),
      ]);
      if (config.temporal.kind === "managed")
        ensureTemporalBinary(config.temporal.binary);
    },
  );

  if (!args.has("--skip-static")) {
    await testPhase("static checks (typecheck, lint)", "turbo", [
      "run",
      "typecheck",
      "lint",
      "--output-logs=errors-only",
    ]);
    await testPhase("formatting (prettier --check)", "prettier", [
      "--check",
      ".",
      "--log-level=warn",
    ]);
  }

  stack = await clock.run("test services (PostgreSQL, Temporal)", () =>
    bringUp(config, {
      apps: false,
      fastPostgres: true,
      log: (line) => console.log(`  ${line}`),
    }),
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: stack.databaseUrl,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    ...(config.temporal.kind === "managed"
      ? { LOUPE_TEMPORAL_BIN: config.temporal.binary }
      : {}),
  };

  await testPhase(
    "unit and integration tests",
    "turbo",
    ["run", "test", "--continue", "--output-logs=new-only"],
    env,
  );

  if (!args.has("--skip-e2e")) {
    await testPhase(
      "build (web, worker)",
      "turbo",
      ["run", "build", "--output-logs=errors-only"],
      env,
    );
    await testPhase(
      "browser tests (Playwright, Chromium)",
      "turbo",
      // One suite at a time: each brings up a whole stack (web app, worker).
      [
        "run",
        "test:e2e",
        "--output-logs=new-only",
        "--only",
        "--concurrency=1",
      ],
      env,
    );
  }
} catch (error) {
  failures.push(
    `setup: ${error instanceof Error ? error.message : String(error)}`,
  );
} finally {
  await clock.run("stop test services", async () => stack?.stop());
}

console.log(`\n${clock.summary()}`);
const totals = sumTestResults(resultsDir);
// One closing line in the plain form CI reads, over every runner.
console.log(
  `\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`,
);
for (const f of failedTests(resultsDir))
  console.error(
    `\n✘ ${f.report}: ${f.title}\n${f.message.replace(/^/gm, "    ")}`,
  );
if (totals.failed > 0 && failures.length === 0)
  failures.push(`${totals.failed} failed tests`);
if (failures.length > 0) {
  console.error(`\nnpm test failed: ${failures.join("; ")}`);
  process.exit(1);
}
console.log("\nnpm test passed.");
