import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { sumTestResults } from "./test-results.ts";

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
