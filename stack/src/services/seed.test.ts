import { describe, expect, it } from "vitest";
import { parseSeedReport } from "./seed.ts";

const report = {
  admin: { email: "admin@loupe.test", password: "pw", created: true },
  demoExperimentId: "e1",
  demoExperiments: [
    { title: "Facts", experimentId: "e1", runId: "r1", status: "completed" },
  ],
};

describe("parseSeedReport", () => {
  it("reads the report from the command's last line, after whatever it logged", () => {
    expect(parseSeedReport(`seeding...\n${JSON.stringify(report)}\n`)).toEqual(
      report,
    );
  });

  it("refuses a report without a field the stack reads, naming the field", () => {
    const { demoExperiments: _, ...partial } = report;
    expect(() => parseSeedReport(JSON.stringify(partial))).toThrow(
      /demoExperiments/,
    );
  });
});
