import fs from "node:fs";
import path from "node:path";

/** Test counts summed over every runner's JSON report. */
export interface TestCounts {
  passed: number;
  failed: number;
  skipped: number;
}

/**
 * Sums the JSON reports that vitest (vitest-*.json) and Playwright
 * (playwright-*.json) wrote into `dir`. An unreadable report counts as a failure:
 * a runner that crashed must not shrink the totals silently.
 */
export function sumTestResults(dir: string): TestCounts & { reports: number } {
  const counts = { passed: 0, failed: 0, skipped: 0, reports: 0 };
  if (!fs.existsSync(dir)) return counts;
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".json"))) {
    counts.reports += 1;
    try {
      const report = JSON.parse(
        fs.readFileSync(path.join(dir, file), "utf8"),
      ) as Record<string, unknown>;
      if (file.startsWith("playwright-")) {
        const stats = report.stats as {
          expected: number;
          unexpected: number;
          flaky: number;
          skipped: number;
        };
        counts.passed += stats.expected + stats.flaky;
        counts.failed += stats.unexpected;
        counts.skipped += stats.skipped;
      } else {
        const r = report as {
          numPassedTests: number;
          numFailedTests: number;
          numPendingTests: number;
          numTodoTests: number;
        };
        counts.passed += r.numPassedTests;
        counts.failed += r.numFailedTests;
        counts.skipped += r.numPendingTests + r.numTodoTests;
      }
    } catch {
      counts.failed += 1;
    }
  }
  return counts;
}
