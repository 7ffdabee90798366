import { spawn } from "node:child_process";
import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fromSafetensors, serializeGraph } from "@loupe/graph";
import { beforeAll, describe, expect, inject, it } from "vitest";
import {
  constant,
  createLoupe,
  GraphInvalidError,
  QuotaExceededError,
  ResultTooLargeError,
  UnauthorizedError,
  type Loupe,
  type RunStatus,
} from "../src/index.ts";
import type { FactsGpt2 } from "../../../examples/types/facts-gpt2.ts";
import {
  approvedResearcher,
  createKey,
  signIn,
  type SessionClient,
} from "./accounts.ts";

// The SDK's remote paths on a running stack: following a run, fetching it
// later, downloading and cancelling; experiments; the typed errors the
// server's answers become; and the `loupe` CLI as a user runs it.
const MODEL = "facts-gpt2";
const PROMPT = "The Louvre is located in the city of";
const repoRoot = path.resolve(import.meta.dirname, "..", "..", "..");
const bin = path.join(repoRoot, "packages", "sdk", "bin", "loupe.mjs");

let webUrl: string;
let admin: SessionClient;
let apiKey: string;
let loupe: Loupe;

beforeAll(async () => {
  webUrl = inject("webUrl");
  admin = await signIn(webUrl, inject("admin"));
  apiKey = await createKey(admin);
  loupe = createLoupe({ url: webUrl, apiKey });
});

describe("runs", () => {
  it("a status callback sees queued then running or completed; submit now, fetch later by id; download safetensors", async () => {
    const lm = await loupe.model<FactsGpt2>(MODEL);
    const graph = lm.graphs.trace(PROMPT, () => {
      lm.output.item("logits").save("logits");
    });
    const handle = await lm.submit(graph, { reuse: false });
    // Later, from the id alone (another process could do this).
    const later = loupe.runs.get(handle.runId);
    const seen: RunStatus[] = [];
    const result = await later.result({ onStatus: (s) => seen.push(s) });
    // States only move forward, and waiting ones carry their queue position.
    const order = ["requested", "queued", "running", "completed"];
    const steps = seen.map((s) => order.indexOf(s.status));
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(seen.at(-1)!.status).toBe("completed");
    for (const s of seen.filter((x) => x.status === "queued"))
      expect(s.queuePosition).toEqual(expect.any(Number));
    const logits = result.get("logits");
    expect(logits.shape).toEqual([1, 8, 1302]);
    const tokenizer = await lm.tokenizer();
    expect(tokenizer.decode([logits.at(0, -1).argmax().item()])).toBe(" Paris");

    const bytes = await later.download();
    const file = fromSafetensors(bytes);
    expect(Object.keys(file.tensors)).toEqual(["logits"]);
    expect(file.tensors.logits!.data).toEqual(logits.saved.data);
    const listed = await loupe.runs.list({ model: MODEL, limit: 5 });
    expect(listed.map((r) => r.runId)).toContain(handle.runId);
  });

  it("a model read from local files runs remotely once the server is found to host the same weights", async () => {
    const both = createLoupe({
      url: webUrl,
      apiKey,
      modelFiles: {
        [MODEL]: path.join(repoRoot, "models", "facts", "model.onnx"),
      },
    });
    try {
      const lm = await both.model<FactsGpt2>(MODEL);
      const build = () => {
        lm.output.item("logits").save("logits");
      };
      const here = await lm.trace(PROMPT, build);
      const there = await lm.trace(PROMPT, build, { remote: true });
      expect(there.run?.status).toBe("completed");
      expect(there.get("logits").saved.data).toEqual(
        here.get("logits").saved.data,
      );
    } finally {
      await both.close();
    }
  });

  it("wait() with no status callback asks once: the server holds the request until the run ends (until: ended)", async () => {
    const lm = await loupe.model<FactsGpt2>(MODEL);
    const handle = await lm.submit(
      lm.graphs.trace(PROMPT, () => {
        lm.output.item("logits").save("logits");
      }),
      { reuse: false },
    );
    const asked: unknown[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (url.pathname.endsWith("/runs.status"))
        asked.push(JSON.parse(url.searchParams.get("input") ?? "null"));
      return realFetch(input, init);
    };
    let status: RunStatus;
    try {
      status = await handle.wait();
    } finally {
      globalThis.fetch = realFetch;
    }
    expect(status.status).toBe("completed");
    // One request (a run of this model ends well within the 20 s hold).
    expect(asked).toEqual([
      { runId: handle.runId, until: "ended", waitMs: 20_000 },
    ]);
  });

  it("cancelling a run that already finished reports how it ended", async () => {
    const lm = await loupe.model<FactsGpt2>(MODEL);
    const handle = await lm.submit(
      lm.graphs.trace(PROMPT, () => {
        lm.output.item("logits").save("logits");
      }),
      { reuse: false },
    );
    await handle.wait();
    expect(await handle.cancel()).toBe("completed");
  });
});

describe("typed errors", () => {
  it("unauthorized: a key the server does not know", async () => {
    const stranger = createLoupe({
      url: webUrl,
      apiKey: "loupe_00000000_not-a-key",
    });
    // Manifests are public, but a key that names no one is refused even
    // there (issue 21, finding 8): never read as anonymous.
    const error = await stranger.model(MODEL).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect((error as Error).message).toMatch(
      /^the server did not accept the API key while reading model facts-gpt2 \(.+\): create an API key on the portal's API keys page \(\/keys\) and run `loupe login`, or set LOUPE_API_KEY$/,
    );
  });

  it("quota exceeded: names the quota, its limit and what is used", async () => {
    const { key } = await approvedResearcher(webUrl, admin, {
      computeSecondsPerDay: 3600,
      maxConcurrentRuns: 4,
      maxRunsPerDay: 1,
      maxResultBytes: 1e9,
    });
    const limited = createLoupe({ url: webUrl, apiKey: key });
    const lm = await limited.model(MODEL);
    const build = () => lm.output.item("logits").save("logits");
    await lm.trace(PROMPT, build, { remote: true });
    const error = await lm
      .trace("The capital of France is", build, { remote: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect(error).toMatchObject({ quota: "maxRunsPerDay", limit: 1, used: 1 });
    expect((error as Error).message).toBe(
      "quota maxRunsPerDay exceeded: 1 of 1 used. Wait for your running runs to finish or for tomorrow's allowance (UTC), or ask an administrator for a larger quota",
    );
  });

  it("result too large: the run fails and the error says what to do", async () => {
    const { key } = await approvedResearcher(webUrl, admin, {
      computeSecondsPerDay: 3600,
      maxConcurrentRuns: 4,
      maxRunsPerDay: 100,
      maxResultBytes: 1000,
    });
    const lm = await createLoupe({ url: webUrl, apiKey: key }).model(MODEL);
    const error = await lm
      .trace(PROMPT, () => lm.output.item("logits").save("logits"), {
        remote: true,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResultTooLargeError);
    expect((error as Error).message).toMatch(
      /^the result of run \S+ does not fit today's result allowance: RESULT_TOO_LARGE: quota maxResultBytes exceeded: the result has \d+ bytes, and 0 of 1000 are used today\. Save fewer or smaller values \(index them first, e\.g\. \.get\(":", -1, ":"\)\), wait for the allowance to reset \(midnight UTC\), or ask an administrator for a larger maxResultBytes$/,
    );
  });

  it("an invalid graph is refused by the server, naming the node and the script's line, as it is locally", async () => {
    const lm = await loupe.model<FactsGpt2>(MODEL);
    const build = () => {
      lm.transformer.h[0].output[0]
        .matmul(
          constant([
            [1, 2],
            [3, 4],
          ]),
        )
        .save("x");
    };
    const error = await lm
      .trace(PROMPT, build, { remote: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphInvalidError);
    const issues = (error as GraphInvalidError).issues;
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]!.nodeId).toMatch(/^n\d+$/);
    expect((error as Error).message).toContain(
      `(node ${issues[0]!.nodeId}, matmul)`,
    );
    // The line of this file that made the node, relative to the SDK's package.
    expect((error as Error).message).toMatch(
      /\be2e\/platform\.e2e\.test\.ts:\d+: /,
    );
    expect((error as Error).message).toMatch(
      /^graph does not fit model facts-gpt2:/,
    );
  });
});

describe("experiments from scripts", () => {
  it("push a new experiment, push a second version, fork it, find it in the gallery", async () => {
    const lm = await loupe.model<FactsGpt2>(MODEL);
    const v1 = lm.graphs.trace(PROMPT, () =>
      lm.output.item("logits").save("logits"),
    );
    const created = await loupe.experiments.push({
      model: MODEL,
      graph: v1,
      title: "SDK e2e: Louvre logits",
      visibility: "public",
      message: "first",
    });
    expect(created.version).toBe(1);
    const v2 = lm.graphs.trace(PROMPT, () => {
      lm.transformer.h[2].output[0].get(":", -1, ":").save("h2");
      lm.output.item("logits").save("logits");
    });
    const second = await loupe.experiments.push({
      model: MODEL,
      graph: v2,
      experimentId: created.experimentId,
      message: "save layer 2",
    });
    expect(second).toEqual({ experimentId: created.experimentId, version: 2 });
    const fork = await loupe.experiments.fork(second, { title: "my fork" });
    expect((await loupe.experiments.get(fork.experimentId)).forkedFrom).toEqual(
      second,
    );
    const gallery = await loupe.experiments.gallery({ text: "SDK e2e" });
    expect(gallery.items.map((c) => c.id)).toContain(created.experimentId);
  });
});

/** Runs the real `loupe` bin with a config file of its own. */
function cli(
  args: string[],
  env: Record<string, string>,
  stdin?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: repoRoot,
      env: { ...process.env, LOUPE_URL: "", LOUPE_API_KEY: "", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(stdin ?? "");
  });
}

describe("the loupe CLI", () => {
  it("login stores the key for its owner only; models, run with progress, runs ls/show/download, experiments push/fork/ls", async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), "loupe-cli-"));
    const env = { LOUPE_CONFIG: path.join(home, "config.json") };

    const login = await cli(["login", "--url", webUrl], env, `${apiKey}\n`);
    expect(login.stderr).toBe("");
    expect(login.stdout).toMatch(
      /^logged in to http:\/\/\S+ as \S+ \(access: approved\); key stored in .*config\.json \(mode 600\)\n$/,
    );
    expect((await stat(env.LOUPE_CONFIG)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(env.LOUPE_CONFIG, "utf8"))).toEqual({
      url: webUrl,
      apiKey,
    });

    const models = await cli(["models"], env);
    expect(models.stdout).toMatch(
      /^NAME\s+STATE\s+WORKERS\s+HASH\nall-minilm-l6-v2\s+online\s+1\s+sha256:\S+\nfacts-gpt2\s+online\s+1\s+sha256:/,
    );

    const run = await cli(
      ["run", "examples/04-activation-patching.ts", "--remote"],
      env,
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('after:  " Rome" (p = 0.999)');
    expect(run.stderr).toMatch(
      /run [0-9a-f]{8} (requested|queued|running|completed)/,
    );
    expect(run.stderr).toMatch(/run [0-9a-f]{8} completed/);

    const ls = await cli(["runs", "ls", "-n", "1"], env);
    const runId = /\n(\S+)\s+facts-gpt2/.exec(ls.stdout)![1]!;
    const show = await cli(["runs", "show", runId], env);
    expect(show.stdout).toMatch(/status\s+completed/);
    const out = path.join(home, "run.safetensors");
    const download = await cli(["runs", "download", runId, "-o", out], env);
    expect(download.stdout).toMatch(
      /^wrote .*run\.safetensors \(\d+ bytes\)\n$/,
    );
    expect(Object.keys(fromSafetensors(await readFile(out)).tensors)).toEqual([
      "logits",
    ]);

    const graphFile = path.join(home, "graph.json");
    const lm = await loupe.model<FactsGpt2>(MODEL);
    await writeFile(
      graphFile,
      serializeGraph(
        lm.graphs.trace(PROMPT, () => lm.output.item("logits").save("logits")),
      ),
    );
    const push = await cli(
      [
        "experiments",
        "push",
        graphFile,
        "--model",
        MODEL,
        "--title",
        "CLI pushed",
        "--visibility",
        "public",
      ],
      env,
    );
    const pushed = /^pushed (\S+) v1\n$/.exec(push.stdout);
    expect(pushed, push.stderr).not.toBeNull();
    const fork = await cli(
      ["experiments", "fork", pushed![1]!, "--at", "1", "--title", "CLI fork"],
      env,
    );
    expect(fork.stdout).toMatch(
      new RegExp(`^forked ${pushed![1]} v1 into \\S+ v1\\n$`),
    );
    const gallery = await cli(["experiments", "ls", "-q", "CLI pushed"], env);
    expect(gallery.stdout).toContain(pushed![1]!);
    const mine = await cli(["experiments", "ls", "--mine"], env);
    expect(mine.stdout).toContain("CLI fork");

    const unreachable = await cli(["runs", "ls"], {
      ...env,
      LOUPE_URL: "http://127.0.0.1:59999",
    });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toBe(
      "error: cannot reach the Loupe server at http://127.0.0.1:59999 while listing runs (ECONNREFUSED): is it running, and is the URL right? Check LOUPE_URL or `loupe login --url`\n",
    );
  });

  it("models host and unhost: an administrator's key with models:host; a model that cannot load is reported failed with its reason", async () => {
    const { key } = await admin.keys.create.mutate({
      name: "hosting",
      scopes: ["models:host"],
    });
    const env = { LOUPE_URL: webUrl, LOUPE_API_KEY: key };
    const refused = await cli(
      ["models", "host", "s3://loupe-models/elsewhere/model.onnx"],
      env,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      "error: cannot read the manifest of s3://loupe-models/elsewhere/model.onnx here: give the model's name with --name (the name in its manifest, from loupe models import)\n",
    );
    // No file there: the worker reports the failure, and --wait says why.
    const missing = path.join(os.tmpdir(), "no-such-model", "model.onnx");
    const host = await cli(
      ["models", "host", missing, "--name", "missing-model", "--wait"],
      env,
    );
    expect(host.stdout).toContain(
      `hosting missing-model requested from ${missing}: workers load it now`,
    );
    expect(host.code).toBe(1);
    expect(host.stderr).toMatch(
      new RegExp(
        `^error: model missing-model was not hosted: failed: loading model missing-model from ${missing} failed: `,
      ),
    );
    const ls = await cli(["models"], env);
    expect(ls.stdout).toMatch(/\nmissing-model\s+failed\s+0\s+-\n/);
    expect(ls.stdout).toContain("missing-model: loading model missing-model");
    const unhost = await cli(["models", "unhost", "missing-model"], env);
    expect(unhost.stdout).toBe(
      "missing-model unhosted: its workers free its memory\n",
    );
    // A key without the models:host scope cannot.
    const plain = await cli(["models", "unhost", "missing-model"], {
      LOUPE_URL: webUrl,
      LOUPE_API_KEY: apiKey,
    });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain("this API key lacks the scope models:host");
  });
});
