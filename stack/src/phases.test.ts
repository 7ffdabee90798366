import { expect, it, vi } from "vitest";
import { PhaseClock } from "./phases.ts";

it("records each phase, failed ones too, and totals them", async () => {
  vi.spyOn(console, "log").mockImplementation(() => undefined);
  const clock = new PhaseClock();
  await expect(clock.run("first", () => 42)).resolves.toBe(42);
  await expect(
    clock.run("second", () => Promise.reject(new Error("boom"))),
  ).rejects.toThrow("boom");
  const summary = clock.summary().split("\n");
  expect(summary[0]).toBe("phase durations:");
  expect(summary[1]).toMatch(/^ {2}✔ first +\d+\.\d s$/);
  expect(summary[2]).toMatch(/^ {2}✘ second +\d+\.\d s$/);
  expect(summary[3]).toMatch(/^ {4}total +\d+\.\d s$/);
});
