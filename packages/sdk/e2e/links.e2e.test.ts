import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import os from "node:os";
import path from "node:path";
import type { GeneratedToken } from "@loupe/graph";
import { beforeAll, expect, inject, it } from "vitest";
import { createLoupe } from "../src/client/loupe.ts";
import { SDK_VERSION } from "../src/version.ts";
import { createKey, sessionCookie, signIn } from "./accounts.ts";

// The CLI and the portal link: each run `loupe run` makes prints its page,
// which opens that run, and the short ids it prints work with `loupe runs`.
const repoRoot = path.resolve(import.meta.dirname, "..", "..", "..");
const bin = path.join(repoRoot, "packages", "sdk", "bin", "loupe.mjs");
let env: Record<string, string>;
/** The administrator's portal session, whose key makes the runs. */
let cookie: string;

beforeAll(async () => {
  const webUrl = inject("webUrl");
  const admin = await signIn(webUrl, inject("admin"));
  cookie = await sessionCookie(webUrl, inject("admin"));
  env = {
    LOUPE_URL: webUrl,
    LOUPE_API_KEY: await createKey(admin),
    LOUPE_CONFIG: path.join(os.tmpdir(), `loupe-none-${randomUUID()}.json`),
  };
});

function cli(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

it("loupe run prints each run's page, which opens that run; loupe runs show takes the 8-character id it printed", async () => {
  const run = await cli([
    "run",
    "examples/04-activation-patching.ts",
    "--remote",
  ]);
  expect(run.code, run.stderr).toBe(0);
  const pages = [
    ...run.stderr.matchAll(/ run ([0-9a-f]{8}): (http\S+\/runs\/(\S+))\n/g),
  ];
  expect(pages.length).toBeGreaterThan(0);
  for (const [, short, url, runId] of pages) {
    expect(runId!.startsWith(short!)).toBe(true);
    const page = await fetch(url!, {
      headers: { cookie },
    });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`data-run-id="${runId}"`);
    const show = await cli(["runs", "show", short!]);
    expect(show.stderr).toBe("");
    expect(show.stdout).toContain(`run        ${runId}\npage       ${url}\n`);
  }
  const unknown = await cli(["runs", "show", "ffffffffff"]);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toBe("error: run ffffffffff not found\n");
});

it("the server refuses an SDK of another major version, naming both versions", async () => {
  const response = await fetch(`${env.LOUPE_URL}/api/trpc/models.list`, {
    headers: { "x-loupe-sdk-version": "99.0.0" },
  });
  expect(response.status).toBe(412);
  const { error } = (await response.json()) as {
    error: { message: string; data: { loupe: Record<string, unknown> } };
  };
  expect(error.data.loupe).toMatchObject({
    code: "SDK_VERSION_UNSUPPORTED",
    sdkVersion: "99.0.0",
    serverVersion: expect.stringMatching(/^\d+\.\d+\.\d+$/),
  });
  expect(error.message).toMatch(
    /^this Loupe server \(version \d+\.\d+\.\d+\) cannot serve @loupe\/sdk 99\.0\.0: /,
  );
  // The SDK's own version is served.
  const ok = await fetch(`${env.LOUPE_URL}/api/trpc/models.list`, {
    headers: { "x-loupe-sdk-version": SDK_VERSION },
  });
  expect(ok.status).toBe(200);
});

it("a remote generation streams each token with its text, as a local one does", async () => {
  const both = createLoupe({
    url: env.LOUPE_URL!,
    apiKey: env.LOUPE_API_KEY!,
    modelFiles: {
      "facts-gpt2": path.join(repoRoot, "models", "facts", "model.onnx"),
    },
  });
  try {
    const lm = await both.model("facts-gpt2");
    const stream = async (remote: boolean) => {
      const tokens: GeneratedToken[] = [];
      await lm.generate(
        "The Louvre is located in the city of",
        { maxNewTokens: 4, remote, onToken: (t) => tokens.push(t) },
        () => {},
      );
      return tokens;
    };
    const here = await stream(false);
    const there = await stream(true);
    expect(there.every((t) => typeof t.text === "string")).toBe(true);
    expect(there).toEqual(here);
  } finally {
    await both.close();
  }
});
