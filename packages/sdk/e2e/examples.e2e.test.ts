import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  createLoupe,
  type Loupe,
  type LoupeScript,
  type RunStatus,
  type Tensor,
} from "../src/index.ts";
import * as engine from "@loupe/engine";
import { findModelFile } from "../src/local/find-model-file.ts";
import { pullModel } from "../src/local/pull-model.ts";
import { createKey, signIn } from "./accounts.ts";

// Every example, run in this process and on the running stack (through the
// API, with a key created through the API), and compared: bitwise when each
// remote run had its batch to itself (the same batch composition as the
// local run, and the same ONNX Runtime thread settings), else within 1e-5.
const examplesDir = path.resolve(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "examples",
);
const modelFiles = {
  "facts-gpt2": path.join(
    import.meta.dirname,
    "..",
    "..",
    "..",
    "models",
    "facts",
    "model.onnx",
  ),
};

let local: Loupe;
let remote: Loupe;
/** What `npx loupe` runs with: the stack, a key, no config file and an empty model cache. */
let cliEnv: NodeJS.ProcessEnv;
let cliHome: string;

beforeAll(async () => {
  const webUrl = inject("webUrl");
  const admin = await signIn(webUrl, inject("admin"));
  const apiKey = await createKey(admin);
  remote = createLoupe({ url: webUrl, apiKey });
  local = createLoupe({ url: webUrl, modelFiles });
  cliHome = await mkdtemp(path.join(os.tmpdir(), "loupe-examples-cli-"));
  cliEnv = {
    ...process.env,
    LOUPE_URL: webUrl,
    LOUPE_API_KEY: apiKey,
    LOUPE_CONFIG: path.join(cliHome, "config.json"),
    LOUPE_CACHE_DIR: path.join(cliHome, "models"),
  };
});
afterAll(async () => {
  await local?.close();
  if (cliHome) await rm(cliHome, { recursive: true, force: true });
});

async function runExample(
  name: string,
  loupe: Loupe,
  onRemote: boolean,
): Promise<{
  tensors: Record<string, Tensor>;
  lines: string[];
  statuses: RunStatus[];
}> {
  const script = (
    (await import(path.join(examplesDir, `${name}.ts`))) as {
      default: LoupeScript;
    }
  ).default;
  const lines: string[] = [];
  const statuses: RunStatus[] = [];
  const tensors = await script({
    loupe,
    remote: onRemote,
    // No reuse: every remote run really runs on the worker.
    trace: {
      remote: onRemote,
      reuse: false,
      onStatus: (s) => statuses.push(s),
    },
    log: (line) => lines.push(line),
  });
  return { tensors: tensors ?? {}, lines, statuses };
}

function expectAgreement(
  localTensors: Record<string, Tensor>,
  remoteTensors: Record<string, Tensor>,
  statuses: readonly RunStatus[],
) {
  const ended = statuses.filter((s) => s.status === "completed");
  expect(ended.length).toBeGreaterThan(0);
  const solo = ended.every(
    (s) => s.metrics !== null && s.metrics.batchRows === s.metrics.runRows,
  );
  expect(Object.keys(remoteTensors).sort()).toEqual(
    Object.keys(localTensors).sort(),
  );
  for (const [name, mine] of Object.entries(localTensors)) {
    const theirs = remoteTensors[name]!;
    expect(theirs.shape, name).toEqual(mine.shape);
    expect(theirs.dtype, name).toBe(mine.dtype);
    const a = mine.saved.data as Float32Array;
    const b = theirs.saved.data as Float32Array;
    if (solo) {
      expect(
        Buffer.from(b.buffer, b.byteOffset, b.byteLength).equals(
          Buffer.from(a.buffer, a.byteOffset, a.byteLength),
        ),
        `${name} bitwise`,
      ).toBe(true);
    } else {
      let max = 0;
      for (let i = 0; i < a.length; i++)
        max = Math.max(max, Math.abs(a[i]! - b[i]!));
      expect(max, `${name} max abs diff`).toBeLessThanOrEqual(1e-5);
    }
  }
}

/** Lines each example prints (besides the rest, which local and remote runs must print alike). */
const EXPECTED_LINES: [string, string[]][] = [
  ["01-neurons", [' before: " Paris"', ' after:  " France"']],
  ["03-hello-world", ["shape [1, 8, 1302]", 'next token: " is"']],
  ["04-activation-patching", [' before: " Paris"', ' after:  " Rome"']],
  [
    "logit-lens",
    ['layer 0: " Lisbon"', 'layer 2: " Rome"', 'layer 5: " Paris"'],
  ],
  ["steering", ['scale 0: " Paris"', 'scale 1: " Rome"']],
  [
    "steered-generation",
    [
      'by the model:  " Paris."',
      'steered:       " Rome."',
      "(3 steered tokens streamed as they were generated)",
    ],
  ],
  [
    "patching-sweep",
    [
      "clean 17.992, corrupted -18.875",
      'strongest patch: layer 2, position 1 (" Louvre")',
    ],
  ],
  [
    "attribution-patching",
    [
      "on the clean prompt: 17.992",
      'largest estimated drop: MLP 0 at position 1 (" Colosseum"): -14.31',
    ],
  ],
];

describe("examples, locally and remotely", () => {
  it.each(EXPECTED_LINES)(
    "%s gives the same tensors and prints the same lines here and on the server",
    async (name, expected) => {
      const here = await runExample(name, local, false);
      const there = await runExample(name, remote, true);
      expect(here.statuses).toEqual([]);
      // Each remote run was followed: queued, then running or completed.
      expect(there.statuses.at(-1)!.status).toBe("completed");
      expectAgreement(here.tensors, there.tensors, there.statuses);
      // The same text: remote token ids decoded with the server's tokenizer.
      expect(there.lines).toEqual(here.lines);
      for (const line of expected)
        expect(here.lines.join("\n")).toContain(line);
    },
  );

  it("02-remote runs Code Example 1 on the server and equals it run here", async () => {
    const example1 = await runExample("01-neurons", local, false);
    const example2 = await runExample("02-remote", remote, false); // remote regardless
    expect(example2.statuses.at(-1)).toMatchObject({ status: "completed" });
    expectAgreement(
      { logits: example1.tensors.after! },
      example2.tensors,
      example2.statuses,
    );
    expect(example2.lines[0]).toMatch(/^run \S+ on facts-gpt2: completed/);
    expect(example2.lines[1]).toBe(example1.lines[3]);
  });

  it("tracer.cache and several invokes give the same saves here and on the server", async () => {
    const results = [];
    for (const [loupe, onRemote] of [
      [local, false],
      [remote, true],
    ] as const) {
      const lm = await loupe.model("facts-gpt2");
      const statuses: RunStatus[] = [];
      const result = await lm.trace(
        (tracer) => {
          tracer.invoke(
            ["The Louvre is located in the city of", "Big Ben is in"],
            () => {
              tracer.cache(["transformer.h.0.mlp", "transformer.h.3"]);
            },
          );
          tracer.invoke("The capital of France is", () => {
            lm.output.item("logits").save("logits");
          });
        },
        { remote: onRemote, reuse: false, onStatus: (s) => statuses.push(s) },
      );
      results.push({ saves: result.saves, statuses });
    }
    const [here, there] = results;
    expect(Object.keys(here!.saves).sort()).toEqual([
      "cache/transformer.h.0.mlp",
      "cache/transformer.h.3",
      "logits",
    ]);
    expectAgreement(here!.saves, there!.saves, there!.statuses);
  });
});

/** `npx loupe <args>` in the repository root, as a user types it: its exit code and output. */
function runLoupe(
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("npx", ["loupe", ...args], {
      cwd: path.resolve(examplesDir, ".."),
      env: cliEnv,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

// Every script in examples/ (bundled-model.ts is their shared helper), run
// as the README says, with no flags: `loupe run` finds the bundled model's
// files through @loupe/engine, by the hosted model's hash.
const exampleNames = readdirSync(examplesDir)
  .filter((f) => f.endsWith(".ts") && f !== "bundled-model.ts")
  .map((f) => f.slice(0, -".ts".length))
  .sort();

describe("every example with plain `npx loupe run examples/<name>.ts`", () => {
  it("covers every example the tests above check", () => {
    expect(exampleNames).toEqual(
      [...EXPECTED_LINES.map(([name]) => name), "02-remote"].sort(),
    );
  });

  it.each(exampleNames)(
    "%s runs with no flags and prints what it prints run in this process",
    async (name) => {
      const cli = await runLoupe(["run", `examples/${name}.ts`]);
      expect(cli.code, cli.stderr).toBe(0);
      const lines = cli.stdout.trimEnd().split("\n");
      if (name === "02-remote") {
        // Remote by design: the server's run of Code Example 1.
        expect(lines[0]).toMatch(/^run \S+ on facts-gpt2: completed/);
        expect(lines[1]).toBe('  after:  " France" (p = 0.918)');
        return;
      }
      // Ran here: `loupe run` shows no run's progress.
      expect(cli.stderr).not.toMatch(/\] run /);
      expect(lines).toEqual((await runExample(name, local, false)).lines);
    },
  );

  it("runs on the server with --remote and prints the same lines", async () => {
    const cli = await runLoupe(["run", "examples/logit-lens.ts", "--remote"]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stderr).toMatch(/\] run \S+ completed/);
    expect(cli.stdout.trimEnd().split("\n")).toEqual(
      (await runExample("logit-lens", local, false)).lines,
    );
  });
});

describe("loupe models pull", () => {
  it("says a model bundled with the engine is on this machine already", async () => {
    const cli = await runLoupe(["models", "pull", "facts-gpt2"]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toBe(
      `facts-gpt2 (${(await remote.model("facts-gpt2")).manifest.model.hash}) is on this machine already: ${modelFiles["facts-gpt2"]}\n`,
    );
  });

  it("downloads a model's files into the cache, checked, where local runs find them", async () => {
    // The engine as one that bundles no model, so the files must come from the server.
    const bare = { ...engine, bundledModelFiles: () => ({}) };
    const cache = path.join(cliHome, "pulled");
    const pulled = await pullModel(remote.api, bare, "facts-gpt2", cache);
    expect(pulled.pulled).toBe(true);
    expect(pulled.file).toBe(
      path.join(cache, pulled.hash.replace("sha256:", ""), "model.onnx"),
    );
    expect(
      await findModelFile(
        bare,
        { name: "facts-gpt2", hash: pulled.hash },
        cache,
      ),
    ).toBe(pulled.file);
    const again = await pullModel(remote.api, bare, "facts-gpt2", cache);
    expect(again).toEqual({ ...pulled, pulled: false });
  });

  it("serves a model's files to signed-in callers only, and only its folder's", async () => {
    const base = `${inject("webUrl")}/api/models/facts-gpt2/files`;
    expect((await fetch(`${base}/model.onnx`)).status).toBe(401);
    const key = { authorization: `Bearer ${cliEnv.LOUPE_API_KEY}` };
    expect(
      (
        await fetch(`${base}/${encodeURIComponent("../README.md")}`, {
          headers: key,
        })
      ).status,
    ).toBe(404);
    expect((await fetch(`${base}/model.onnx`, { headers: key })).status).toBe(
      200,
    );
  });
});
