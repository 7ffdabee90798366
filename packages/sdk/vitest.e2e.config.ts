/**
 * The SDK against a running Loupe (`npm run test:e2e -w @loupe/sdk`, run by
 * `npm test` after the build): e2e/stack-setup.ts brings up a stack of its
 * own (database, Temporal, worker, web app) on ports of its own.
 */
import path from "node:path";
import { defineConfig } from "vitest/config";

const root = path.resolve(import.meta.dirname, "..", "..");

export default defineConfig({
  test: {
    include: ["e2e/**/*.e2e.test.ts"],
    globalSetup: ["e2e/stack-setup.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: [
      "default",
      [
        "json",
        {
          outputFile: path.join(
            root,
            ".loupe",
            "test-results",
            "vitest-sdk-e2e.json",
          ),
        },
      ],
    ],
  },
});
