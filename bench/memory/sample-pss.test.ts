import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { PeakPssSampler } from "./peak-pss-sampler.ts";
import {
  findPss,
  processTree,
  samplePss,
  sampleTreePss,
} from "./sample-pss.ts";
import { findRss } from "./sample-rss.ts";

const MiB = 2 ** 20;

describe("samplePss", () => {
  it("reads this process's Pss, which grows by a 200 MB buffer once its pages are touched", () => {
    const before = samplePss(process.pid);
    expect(before).toBeGreaterThan(0);
    const buffer = Buffer.allocUnsafe(200 * MiB);
    buffer.fill(1); // touch every page: untouched pages are not resident
    const after = samplePss(process.pid);
    expect(after - before).toBeGreaterThan(190 * MiB);
    expect(buffer[buffer.length - 1]).toBe(1);
  });

  it("names the file and the pid when the process does not exist", () => {
    expect(() => samplePss(999_999_999)).toThrow(
      /samplePss: cannot read \/proc\/999999999\/smaps_rollup \(is process 999999999 running/,
    );
    expect(findPss(999_999_999)).toBeUndefined();
  });
});

describe("findRss", () => {
  it("reads this process's resident set, an upper bound of its Pss", () => {
    const rss = findRss(process.pid)!;
    expect(rss).toBeGreaterThan(0);
    expect(samplePss(process.pid)).toBeLessThanOrEqual(rss);
    expect(findRss(999_999_999)).toBeUndefined();
  });
});

describe("processTree and sampleTreePss", () => {
  it("sum a child's Pss into its parent's tree", async () => {
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 5000)"]);
    try {
      await once(child, "spawn");
      const tree = processTree(process.pid);
      expect(tree[0]).toBe(process.pid);
      expect(tree).toContain(child.pid);
      const { bytes, processes } = sampleTreePss(process.pid);
      expect(processes).toBeGreaterThanOrEqual(2);
      expect(bytes).toBeGreaterThan(samplePss(process.pid));
    } finally {
      child.kill();
    }
    expect(processTree(999_999_999)).toEqual([]);
  });
});

describe("PeakPssSampler", () => {
  it("keeps the peak of a child that allocates 200 MB, by phase", async () => {
    const child = spawn(
      process.execPath,
      [
        "-e",
        `console.error("allocate");
         const b = Buffer.allocUnsafe(200 * 2 ** 20); b.fill(1);
         setTimeout(() => { console.error("done"); setTimeout(() => {}, 300); }, 500);`,
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    const sampler = new PeakPssSampler(child.pid!, {
      intervalMs: 20,
      phase: "load",
    }).start();
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (text: string) => {
      for (const line of text.split("\n").filter(Boolean)) sampler.mark(line);
    });
    await once(child, "exit");
    const peaks = sampler.stop();
    expect(peaks.peakBytes).toBeGreaterThan(200 * MiB);
    expect(peaks.byPhase.allocate).toBeGreaterThan(200 * MiB);
    expect(peaks.byPhase.load ?? 0).toBeLessThan(peaks.byPhase.allocate!);
    expect(peaks.ticks).toBeGreaterThan(10);
    // Start, two phase changes (a sample on each side), and at least one tick
    // whose resident set exceeded the phase's peak.
    expect(peaks.samples).toBeGreaterThanOrEqual(6);
    expect(peaks.processes).toBe(1);
    expect(peaks.cpuShare).toBeGreaterThan(0);
    expect(peaks.cpuShare).toBeLessThan(1);
  });

  it("refuses a root that is not a process id, and a CPU share outside (0, 1]", () => {
    expect(() => new PeakPssSampler(0)).toThrow(
      "PeakPssSampler: root must be a process id, got 0",
    );
    expect(() => new PeakPssSampler(process.pid, { maxCpuShare: 0 })).toThrow(
      "PeakPssSampler: maxCpuShare must be in (0, 1], got 0",
    );
  });
});
