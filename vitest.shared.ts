/**
 * The test layout every package shares: `unit` runs src/**\/*.test.ts, `int` runs
 * src/**\/*.int.test.ts against real services (PostgreSQL and Temporal, started by
 * `npm test`), one file at a time, each package in its own database.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = path.dirname(fileURLToPath(import.meta.url));

/** Per-package JSON results, summed by `npm test` into one "N passed, N failed" line. */
function jsonReport(): [string, { outputFile: string }] {
  const name = path.basename(process.cwd());
  return [
    "json",
    {
      outputFile: path.join(
        root,
        ".loupe",
        "test-results",
        `vitest-${name}.json`,
      ),
    },
  ];
}

export function defineLoupeTests({
  passWithNoTests = false,
  slowUnitTests = false,
}: {
  passWithNoTests?: boolean;
  /**
   * Unit tests that run real models (ONNX Runtime sessions): generous timeouts,
   * since CI runs every package's tests at once on a small machine.
   */
  slowUnitTests?: boolean;
} = {}) {
  return defineConfig({
    test: {
      passWithNoTests,
      ...(slowUnitTests ? { testTimeout: 120_000, hookTimeout: 180_000 } : {}),
      reporters: ["default", jsonReport()],
      projects: [
        {
          extends: true,
          test: {
            name: "unit",
            include: ["src/**/*.test.ts"],
            exclude: ["src/**/*.int.test.ts", "**/node_modules/**"],
          },
        },
        {
          extends: true,
          test: {
            name: "int",
            include: ["src/**/*.int.test.ts"],
            pool: "forks",
            fileParallelism: false,
            testTimeout: 60_000,
            hookTimeout: 120_000,
            globalSetup: [path.join(root, "stack/src/vitest-global-setup.ts")],
          },
        },
      ],
    },
  });
}
