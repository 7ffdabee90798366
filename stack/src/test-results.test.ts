import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { failedTests, sumTestResults } from "./test-results.ts";

it("sums vitest and Playwright reports, counting an unreadable one as a failure", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "loupe-results-"));
  fs.writeFileSync(
    path.join(dir, "vitest-db.json"),
    JSON.stringify({
      numPassedTests: 7,
      numFailedTests: 1,
      numPendingTests: 2,
      numTodoTests: 1,
    }),
  );
  fs.writeFileSync(
    path.join(dir, "playwright-web.json"),
    JSON.stringify({
      stats: { expected: 4, unexpected: 1, flaky: 1, skipped: 0 },
    }),
  );
  fs.writeFileSync(path.join(dir, "vitest-broken.json"), "{ not json");
  expect(sumTestResults(dir)).toEqual({
    passed: 12,
    failed: 3,
    skipped: 3,
    reports: 3,
  });
  expect(sumTestResults(path.join(dir, "missing"))).toEqual({
    passed: 0,
    failed: 0,
    skipped: 0,
    reports: 0,
  });
});

it("names each failed test with its error's first lines, from both runners", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "loupe-results-"));
  fs.writeFileSync(
    path.join(dir, "vitest-db.json"),
    JSON.stringify({
      testResults: [
        {
          name: "/repo/packages/db/src/a.int.test.ts",
          status: "failed",
          assertionResults: [
            { status: "passed", fullName: "fine", failureMessages: [] },
            {
              status: "failed",
              fullName: "runs › settles once",
              failureMessages: [
                "\u001b[31mAssertionError: expected 2 to be 1\u001b[39m\n    at x",
              ],
            },
          ],
        },
        {
          name: "/repo/packages/db/src/b.int.test.ts",
          status: "failed",
          message: "Hook timed out in 120000ms",
          assertionResults: [],
        },
      ],
    }),
  );
  fs.writeFileSync(
    path.join(dir, "playwright-web.json"),
    JSON.stringify({
      suites: [
        {
          title: "portal.spec.ts",
          specs: [
            {
              title: "the walkthrough",
              tests: [
                {
                  status: "unexpected",
                  results: [{ error: { message: "timeout" } }],
                },
              ],
            },
            { title: "fine", tests: [{ status: "expected", results: [] }] },
          ],
        },
      ],
    }),
  );
  expect(failedTests(dir)).toEqual([
    {
      report: "playwright-web.json",
      title: "portal.spec.ts › the walkthrough",
      message: "timeout",
    },
    {
      report: "vitest-db.json",
      title: "a.int.test.ts › runs › settles once",
      message: "AssertionError: expected 2 to be 1\n    at x",
    },
    {
      report: "vitest-db.json",
      title: "b.int.test.ts",
      message: "Hook timed out in 120000ms",
    },
  ]);
});
