import { spawn } from "node:child_process";
import { expect, it } from "vitest";
import { isAlive, isRunning } from "./managed-process.ts";

it("counts a zombie as alive but not running", async () => {
  // `sleep 0` exits at once; its parent, exec'd into `sleep 3`, never reaps it.
  const parent = spawn("sh", ["-c", "sleep 0 & echo $!; exec sleep 3"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  const zombie = await new Promise<number>((resolve) =>
    parent.stdout.once("data", (chunk: Buffer) =>
      resolve(Number(chunk.toString().trim())),
    ),
  );
  try {
    await expect.poll(() => isRunning(zombie), { timeout: 2000 }).toBe(false);
    expect(isAlive(zombie)).toBe(true);
    expect(isRunning(parent.pid!)).toBe(true);
    expect(isRunning(process.pid)).toBe(true);
  } finally {
    parent.kill("SIGKILL");
  }
});
