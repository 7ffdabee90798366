import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  checkedGraphFromStore,
  createModel,
  GraphValidationError,
  type Envoy,
} from "@loupe/graph";
import { importOnnxModel } from "../import/import-onnx-model.ts";
import { FIXTURES, maxAbsDiff } from "../testing/fixture-engines.ts";
import { LoupeEngine } from "../engine.ts";
import { loadTokenizer } from "@loupe/graph";
import { EngineThread } from "./engine-thread-client.ts";

let thread: EngineThread;
let lm: ReturnType<typeof createModel<Envoy>>;
let bytes: Uint8Array;
let manifest: Awaited<ReturnType<typeof importOnnxModel>>["manifest"];
const tokenizerJson: unknown = JSON.parse(
  readFileSync(path.join(FIXTURES, "tokenizer.json"), "utf8"),
);

beforeAll(async () => {
  bytes = new Uint8Array(readFileSync(path.join(FIXTURES, "gpt2-tiny.onnx")));
  manifest = (await importOnnxModel(bytes, "gpt2-tiny")).manifest;
  lm = createModel<Envoy>(manifest);
  thread = await EngineThread.start(bytes, manifest, tokenizerJson);
});
afterAll(async () => {
  await thread.close();
});

/** A long forward pass (about a second here): 64 rows of 120 tokens through the fixture model. */
const longPass = () =>
  lm.trace(
    {
      tokens: Array.from({ length: 192 }, (_, r) =>
        Array.from({ length: 120 }, (_, j) => (r * 7 + j * 13) % 466),
      ),
    },
    () => {
      lm.transformer!.h![1]!.output[0]!.get(":", -1, ":").save("last");
    },
  );

it(
  "keeps the event loop responsive while a long forward pass runs",
  { timeout: 60_000 },
  async () => {
    // The same pass on the calling thread blocks its event loop for its whole length.
    const engine = await LoupeEngine.load(
      bytes,
      manifest,
      loadTokenizer(tokenizerJson),
    );
    const blockedFrom = performance.now();
    const local = await engine.run(longPass());
    const blockedMs = performance.now() - blockedFrom;
    await engine.close();
    expect(blockedMs).toBeGreaterThan(100); // long enough for the check below to mean something

    let ticks = 0;
    let last = performance.now();
    let longestGap = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
      ticks++;
    }, 5);
    const from = performance.now();
    const remote = await thread.run({ checked: thread.check(longPass()) });
    const ms = performance.now() - from;
    clearInterval(timer);

    expect(ms).toBeGreaterThan(100);
    expect(ticks).toBeGreaterThan(ms / 5 / 4); // at least a quarter of the 5 ms ticks fired
    expect(longestGap).toBeLessThan(Math.max(50, blockedMs / 2));
    // Same numbers as the in-process engine, moved back as typed arrays.
    expect(remote.saves.last!.shape).toEqual([192, 64]);
    expect(
      maxAbsDiff(
        remote.saves.last!.data as Float32Array,
        local.saves.last!.data as Float32Array,
      ),
    ).toBe(0);
  },
);

it("reports errors with their name and the validator's issues", async () => {
  const bad = lm.trace("Hello World", () => {
    lm.transformer!.h![0]!.output[0]!.save("h");
  });
  const renamed = JSON.parse(
    JSON.stringify(bad).replace(/transformer\.h\.0/g, "transformer.h.9"),
  ) as typeof bad;
  const error = await thread.run(renamed).catch((e: unknown) => e);
  expect(error).toMatchObject({
    name: GraphValidationError.name,
    code: "GRAPH_INVALID",
    message: expect.stringContaining("transformer.h.9") as string,
  });
});

it("streams a generation's tokens from the thread as they come, and a cancel stops it at its next step", async () => {
  const graph = lm.generate(
    { tokens: [3, 14, 15, 92, 65] },
    { maxNewTokens: 100 },
    () => {},
  );
  const whole = await thread.run({ graph });
  expect(whole.generated[0]).toMatchObject({ reason: "length" });
  expect(whole.generated[0]!.ids).toHaveLength(100);

  const controller = new AbortController();
  const streamed: number[] = [];
  const cut = await thread.run(
    { graph, signal: controller.signal },
    {
      onToken: (t) => {
        streamed.push(t.id);
        if (t.step === 0) controller.abort();
      },
    },
  );
  const row = cut.generated[0]!;
  expect(row.reason).toBe("cancelled");
  // Stopped within a few steps of the abort, not after all 100.
  expect(row.ids.length).toBeGreaterThanOrEqual(1);
  expect(row.ids.length).toBeLessThan(50);
  expect(streamed).toEqual(row.ids);
  expect(row.ids).toEqual(whole.generated[0]!.ids.slice(0, row.ids.length));
});

it("keeps each graph's error of a batch, its name, code and message, across the thread", async () => {
  const valid = lm.trace({ tokens: [417, 418] }, () => {
    lm.transformer!.h![0]!.output[0]!.save("h");
  });
  // Checked against another model: the engine refuses it, alone.
  const elsewhere = checkedGraphFromStore({
    graph: valid,
    types: Object.fromEntries(thread.check(valid).types),
    hash: "sha256:elsewhere",
    modelHash: "sha256:another-model",
  });
  // Token ids past the vocabulary (466) at run time: ONNX Runtime's Gather fails.
  const failing = lm.trace({ tokens: [332, 392] }, () => {
    const ids = lm.transformer!.wte!.input;
    ids.set(ids.add(466));
  });
  const [bad, fails, good] = await thread.runMany([
    { checked: elsewhere },
    { checked: thread.check(failing) },
    { checked: thread.check(valid) },
  ]);
  expect(bad!.error).toMatchObject({
    name: GraphValidationError.name,
    code: "GRAPH_INVALID",
    message: expect.stringMatching(/^graph 0: invalid graph:/) as string,
  });
  expect(fails!.error).toMatchObject({
    name: "RunError",
    code: "RUN_ERROR",
    message: expect.stringMatching(/^graph 1: .*Gather/) as string,
  });
  expect(good!.error).toBeUndefined();
  expect(good!.saves.h!.shape).toEqual([1, 2, 64]);
  expect(thread.metrics.isolation.graphsFailedAlone).toBeGreaterThan(0);
});

it("carries a graph's warnings across the thread (a cache asked for on an export without one)", async () => {
  const graph = lm.generate(
    { tokens: [3, 14, 15] },
    { maxNewTokens: 2, kvCache: true },
    () => {},
  );
  const result = await thread.run({ graph });
  expect(result.warnings).toHaveLength(1);
  expect(result.warnings[0]).toMatch(
    /^trace 0 asked for the key\/value cache \(kvCache: true\), but the model's export has none/,
  );
});
