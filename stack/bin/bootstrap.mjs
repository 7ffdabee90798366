#!/usr/bin/env node
// Entry of `npm start`, `npm test` and `npm run bench` on a fresh clone:
// installs the npm dependencies when package-lock.json changed since the last
// install, then runs the TypeScript command (stack/src/cli/<name>.ts, or
// bench/run.ts). Plain JavaScript, because
// nothing else (tsx, TypeScript) is installed yet when it runs.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
);
const command = process.argv[2];
if (!["start", "test", "bench"].includes(command ?? "")) {
  console.error(
    "usage: node stack/bin/bootstrap.mjs <start|test|bench> [args]",
  );
  process.exit(2);
}

const lock = fs.readFileSync(path.join(root, "package-lock.json"));
const digest = createHash("sha256").update(lock).digest("hex");
const stamp = path.join(root, "node_modules", ".loupe-install-stamp");
const installed =
  fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === digest;
let installSeconds = 0;
if (!installed) {
  const started = Date.now();
  console.log("▶ installing npm dependencies (npm ci)");
  const result = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], {
    cwd: root,
    stdio: "inherit",
    // onnxruntime-node's install script downloads CUDA binaries, which cannot work
    // offline; its CPU binaries ship in the package.
    env: {
      ...process.env,
      ONNXRUNTIME_NODE_INSTALL: "skip",
      NEXT_TELEMETRY_DISABLED: "1",
      TURBO_TELEMETRY_DISABLED: "1",
    },
  });
  if (result.status !== 0) {
    console.error(`npm ci failed with exit code ${result.status}`);
    process.exit(result.status ?? 1);
  }
  fs.writeFileSync(stamp, digest);
  installSeconds = (Date.now() - started) / 1000;
  console.log(`✔ installing npm dependencies (${installSeconds.toFixed(1)} s)`);
}

const script =
  command === "bench"
    ? path.join(root, "bench", "run.ts")
    : path.join(root, "stack", "src", "cli", `${command}.ts`);
const child = spawn(
  process.execPath,
  ["--import", "tsx", script, ...process.argv.slice(3)],
  {
    cwd: root,
    stdio: "inherit",
    env: {
      ...process.env,
      NEXT_TELEMETRY_DISABLED: "1",
      TURBO_TELEMETRY_DISABLED: "1",
      LOUPE_INSTALL_SECONDS: String(installSeconds),
    },
  },
);
// The child owns shutdown: on Ctrl-C (or a closed terminal) it stops the
// services, then exits; this process waits for it and exits with its code.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"])
  process.on(signal, () => undefined);
child.on("exit", (code, signal) =>
  process.exit(code ?? (signal === "SIGINT" ? 130 : 1)),
);
