import { spawnSync } from "node:child_process";
import fs from "node:fs";

/** A Debian package the stack needs, and a file whose presence shows it is installed. */
export interface DebianRequirement {
  readonly pkg: string;
  readonly probe: () => boolean;
}

let aptUpdated = false;

/**
 * Installs the missing Debian packages with apt-get (as root, non-interactively).
 * Without root or apt-get it throws, naming the packages to install by hand.
 */
export function ensureDebianPackages(
  requirements: readonly DebianRequirement[],
): void {
  const missing = requirements.filter((r) => !r.probe()).map((r) => r.pkg);
  if (missing.length === 0) return;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !fs.existsSync("/usr/bin/apt-get")) {
    throw new Error(
      `missing system packages: ${missing.join(", ")}; install them (Debian: apt-get install ${missing.join(" ")}) or run as root so Loupe installs them`,
    );
  }
  console.log(`[stack] installing Debian packages: ${missing.join(", ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (!aptUpdated) {
    run("apt-get", ["update", "-qq"], env);
    aptUpdated = true;
  }
  run(
    "apt-get",
    ["install", "-y", "-qq", "--no-install-recommends", ...missing],
    env,
  );
  const still = requirements.filter((r) => !r.probe()).map((r) => r.pkg);
  if (still.length > 0)
    throw new Error(`apt-get did not install: ${still.join(", ")}`);
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): void {
  const result = spawnSync(command, args, {
    env,
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} failed with exit code ${result.status}`,
    );
  }
}

/** Chromium from Debian, for the browser tests. */
export const chromiumRequirement: DebianRequirement = {
  pkg: "chromium",
  probe: () => fs.existsSync("/usr/bin/chromium"),
};
