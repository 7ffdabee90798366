import { spawnSync } from "node:child_process";
import path from "node:path";
import { expect, it } from "vitest";

// The real bin, as a user runs it.
const bin = path.resolve(import.meta.dirname, "..", "..", "bin", "loupe.mjs");
const loupe = (...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

it("prints usage for --help and exits 0", () => {
  const result = loupe("--help");
  expect(result.status).toBe(0);
  expect(result.stdout).toContain("Usage: loupe [options]");
  expect(result.stdout).toContain(
    "trace, patch and steer the internals of neural networks",
  );
  expect(result.stdout).toContain("LOUPE_API_KEY");
});

it("prints its version", () => {
  const result = loupe("--version");
  expect(result.status).toBe(0);
  expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
});

it("rejects an unknown option with a pointer to --help", () => {
  const result = loupe("--frobnicate");
  expect(result.status).not.toBe(0);
  expect(result.stderr).toContain("unknown option '--frobnicate'");
  expect(result.stderr).toContain("run `loupe --help` for usage");
});
