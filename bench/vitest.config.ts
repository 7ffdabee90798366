import path from "node:path";
import { defineConfig } from "vitest/config";

/**
 * The bench's own unit tests (its measuring tools, e.g. memory/); the
 * benchmarks themselves run with `npm run bench`. Results also go where
 * `npm test` sums every package's (vitest.shared.ts).
 */
export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["**/node_modules/**"],
    pool: "forks",
    reporters: [
      "default",
      [
        "json",
        {
          outputFile: path.join(
            import.meta.dirname,
            "..",
            ".loupe",
            "test-results",
            "vitest-bench.json",
          ),
        },
      ],
    ],
  },
});
