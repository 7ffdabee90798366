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

/** One failed test, named as its runner names it, with its error's first lines. */
export interface FailedTest {
  readonly report: string;
  readonly title: string;
  readonly message: string;
}

interface PlaywrightSuite {
  title?: string;
  suites?: PlaywrightSuite[];
  specs?: {
    title: string;
    file?: string;
    tests: {
      status: string;
      results: { error?: { message?: string } }[];
    }[];
  }[];
}

/**
 * The failed tests of every report in `dir`, so that the end of a CI log (often
 * all a reader sees of it) says which test failed and why, not just how many.
 */
export function failedTests(dir: string): FailedTest[] {
  if (!fs.existsSync(dir)) return [];
  const failed: FailedTest[] = [];
  const firstLines = (text: string | undefined) =>
    (text ?? "")
      // eslint-disable-next-line no-control-regex -- runners colour their messages
      .replace(/\u001b\[[0-9;]*m/g, "")
      .split("\n")
      .slice(0, 6)
      .join("\n");
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".json"))) {
    let report: Record<string, unknown>;
    try {
      report = JSON.parse(
        fs.readFileSync(path.join(dir, file), "utf8"),
      ) as Record<string, unknown>;
    } catch (error) {
      failed.push({
        report: file,
        title: "(unreadable report)",
        message: String(error),
      });
      continue;
    }
    if (file.startsWith("playwright-")) {
      const walk = (suite: PlaywrightSuite, trail: string[]) => {
        for (const spec of suite.specs ?? [])
          for (const test of spec.tests)
            if (test.status === "unexpected")
              failed.push({
                report: file,
                title: [...trail, spec.title].filter(Boolean).join(" › "),
                message: firstLines(test.results.at(-1)?.error?.message),
              });
        for (const child of suite.suites ?? [])
          walk(child, [...trail, child.title ?? ""]);
      };
      for (const suite of (report.suites ?? []) as PlaywrightSuite[])
        walk(suite, [suite.title ?? ""]);
    } else {
      const files = (report.testResults ?? []) as {
        name: string;
        status: string;
        message?: string;
        assertionResults: {
          status: string;
          fullName: string;
          failureMessages: string[];
        }[];
      }[];
      for (const f of files) {
        const tests = f.assertionResults.filter((a) => a.status === "failed");
        for (const t of tests)
          failed.push({
            report: file,
            title: `${path.basename(f.name)} › ${t.fullName}`,
            message: firstLines(t.failureMessages[0]),
          });
        // A file can fail without a failed test (a hook, an import).
        if (f.status === "failed" && tests.length === 0)
          failed.push({
            report: file,
            title: path.basename(f.name),
            message: firstLines(f.message),
          });
      }
    }
  }
  return failed;
}
