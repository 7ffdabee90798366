import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const here = path.dirname(fileURLToPath(import.meta.url));

it("keeps logging to its file, and does not crash, when its stdout and stderr lose their reader", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "loupe-output-"));
  const file = path.join(dir, "supervisor.log");
  // A process whose stdout and stderr are pipes that this test closes at once:
  // every write it makes after that fails with EPIPE.
  const script = `
    import { createSupervisorOutput } from ${JSON.stringify(path.join(here, "supervisor-output.ts"))};
    const output = createSupervisorOutput(${JSON.stringify(file)});
    for (let i = 0; i < 20; i++) {
      output.log("line " + i);
      output.error("problem " + i);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    output.log("done");
  `;
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--input-type=module", "-e", script],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout.destroy();
  child.stderr.destroy();
  const code = await new Promise<number | null>((resolve) =>
    child.once("exit", resolve),
  );

  expect(code).toBe(0);
  const logged = fs.readFileSync(file, "utf8");
  expect(logged).toMatch(/\[supervisor\] stdout failed \(EPIPE\)/);
  expect(logged).toMatch(/\[supervisor\] stderr failed \(EPIPE\)/);
  for (let i = 0; i < 20; i++) {
    expect(logged).toContain(` line ${i}\n`);
    expect(logged).toContain(` problem ${i}\n`);
  }
  expect(logged).toMatch(/ done\n$/);
});
