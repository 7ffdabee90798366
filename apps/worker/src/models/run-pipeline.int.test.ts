import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  appendEvents,
  domainEvents,
  projectDomainEvents,
  readResultChunks,
  readStream,
  streams,
} from "@loupe/db";
import { connectTestDatabase, truncateAll } from "@loupe/db/testing";
import {
  EngineThread,
  fromSafetensors,
  loadModelFiles,
  type LoupeEngine,
} from "@loupe/engine";
import {
  createModel,
  manifestSchema,
  type Envoy,
  type Graph,
} from "@loupe/graph";
import type { runWorkflow, RunOutcome } from "@loupe/workflows";
import { Client, Connection } from "@temporalio/client";
import { NativeConnection, Worker } from "@temporalio/worker";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createRunActivities } from "../activities/run-activities.ts";
import { workflowsEntry } from "../workflow-source.ts";
import { createModelActivities } from "./model-activities.ts";

// A run end to end on real parts: Temporal server, the bundled workflows, the
// worker's activities, an engine thread on the bundled model, PostgreSQL.
const db = connectTestDatabase(inject("databaseUrl"));
const modelDir = path.resolve(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "..",
  "models",
  "facts",
);
const modelName = `facts-${randomUUID().slice(0, 8)}`;
const platformTaskQueue = `test-platform-${randomUUID()}`;
const imported = JSON.parse(
  readFileSync(path.join(modelDir, "model.manifest.json"), "utf8"),
) as { manifest: unknown };
const manifest = manifestSchema.parse(imported.manifest);
const lm = createModel<Envoy>(manifest);
const layer = (i: number) => lm.transformer!.h![i]!;

let engine: EngineThread;
let local: LoupeEngine;
let workers: Worker[];
let running: Promise<void>[];
let connection: Connection;
let client: Client;

beforeAll(async () => {
  await truncateAll(db);
  const address = inject("temporalAddress");
  engine = await EngineThread.start(
    new Uint8Array(readFileSync(path.join(modelDir, "model.onnx"))),
    manifest,
    JSON.parse(readFileSync(path.join(modelDir, "tokenizer.json"), "utf8")),
  );
  local = await loadModelFiles(path.join(modelDir, "model.onnx"));
  workers = [
    await Worker.create({
      connection: await NativeConnection.connect({ address }),
      taskQueue: platformTaskQueue,
      workflowsPath: workflowsEntry(),
      activities: createRunActivities({ db }),
    }),
    await Worker.create({
      connection: await NativeConnection.connect({ address }),
      taskQueue: `loupe-model-${modelName}`,
      activities: createModelActivities({
        db,
        model: { name: modelName, manifest, engine },
        workerId: "int-worker",
        // A quiet period long enough for 20 submissions to arrive on a loaded CI machine.
        batch: { quietMs: 2000, maxWaitMs: 15_000, maxRows: 32 },
      }),
    }),
  ];
  running = workers.map((w) => w.run());
  connection = await Connection.connect({ address });
  client = new Client({ connection });
});

afterAll(async () => {
  for (const w of workers) w.shutdown();
  await Promise.all(running);
  await connection.close();
  await engine.close();
  await local.close();
  await db.$disconnect();
});

/** Requests a run as the API will: a run.requested event, then its workflow. */
async function submit(
  userId: string,
  graph: Graph,
): Promise<{ runId: string; outcome: Promise<RunOutcome> }> {
  const runId = randomUUID();
  await appendEvents(
    db,
    [
      {
        stream: streams.run(runId),
        expectedVersion: 0,
        events: [
          domainEvents.event(streams.run(runId), "run.requested", {
            runId,
            userId,
            model: modelName,
            modelHash: manifest.model.hash ?? "",
            graphHash: "sha256:test",
            experiment: null,
          }),
        ],
      },
    ],
    projectDomainEvents,
  );
  const outcome = client.workflow.execute<typeof runWorkflow>("runWorkflow", {
    taskQueue: platformTaskQueue,
    workflowId: `run-${runId}`,
    args: [{ runId, userId, model: modelName, graph, platformTaskQueue }],
  });
  return { runId, outcome };
}

async function resultOf(runId: string) {
  const run = await db.run.findUniqueOrThrow({ where: { id: runId } });
  const parts: Uint8Array[] = [];
  for await (const part of readResultChunks(db, run.resultHash!))
    parts.push(part);
  return fromSafetensors(Buffer.concat(parts)).tensors;
}

const PROMPTS = [
  "The Louvre is located in the city of",
  "The Colosseum is located in the city of",
  "The Eiffel Tower is located in the city of",
  "Big Ben is located in the city of",
  "The capital of France is",
];

describe("runs through Temporal", () => {
  it("a run goes requested, queued, started, completed, with the right tensors", async () => {
    const graph = lm.trace(PROMPTS[0]!, () => {
      layer(2).output[0]!.get(":", -1, ":").save("hidden");
      lm.output.item("logits").save("logits");
    });
    const { runId, outcome } = await submit("ada", graph);
    const result = await outcome;
    expect(result.status).toBe("completed");
    expect(
      (await readStream(db, streams.run(runId))).map((e) => e.type),
    ).toEqual(["run.requested", "run.queued", "run.started", "run.completed"]);
    const run = await db.run.findUniqueOrThrow({ where: { id: runId } });
    expect(run.status).toBe("completed");
    const tensors = await resultOf(runId);
    const solo = (await local.run(graph)).saves;
    expect(tensors.logits!.shape).toEqual(solo.logits!.shape);
    expect([...tensors.logits!.data]).toEqual([...solo.logits!.data]);
  });

  it("batches 20 concurrent runs of 4 users into at most 2 forward passes; each equals its solo run", async () => {
    const users = ["ada", "bob", "cy", "dee"];
    const graphs = Array.from({ length: 20 }, (_, i) =>
      i === 3
        ? // A run that writes its own rows (zero ablation of layer 1's MLP).
          lm.trace(PROMPTS[i % PROMPTS.length]!, () => {
            layer(1).mlp!.output.set(0);
            lm.output.item("logits").save("logits");
          })
        : lm.trace(PROMPTS[i % PROMPTS.length]!, () => {
            layer(i % 6)
              .output[0]!.get(":", -1, ":")
              .save("hidden");
            lm.output.item("logits").save("logits");
          }),
    );
    const submitted = await Promise.all(
      graphs.map((g, i) => submit(users[i % 4]!, g)),
    );
    const outcomes = await Promise.all(submitted.map((s) => s.outcome));
    expect(outcomes.every((o) => o.status === "completed")).toBe(true);
    // Forward passes, counted once per batch, from the runs' own metrics.
    const passesByBatch = new Map<string, number>();
    for (const o of outcomes)
      if (o.status === "completed")
        passesByBatch.set(o.metrics.batchId, o.metrics.forwardPasses);
    expect(
      [...passesByBatch.values()].reduce((s, p) => s + p, 0),
    ).toBeLessThanOrEqual(2);
    for (const [i, { runId }] of submitted.entries()) {
      const tensors = await resultOf(runId);
      const solo = (await local.run(graphs[i]!)).saves;
      for (const key of Object.keys(solo)) {
        const a = tensors[key]!.data as Float32Array;
        const b = solo[key]!.data as Float32Array;
        let max = 0;
        for (let j = 0; j < b.length; j++)
          max = Math.max(max, Math.abs(a[j]! - b[j]!));
        expect(max, `run ${i} ${key}`).toBeLessThan(1e-5);
      }
    }
  });

  it("a two-trace session run remotely equals the same session run locally", async () => {
    const session = lm.session(() => {
      let hidden: ReturnType<Envoy["output"]["get"]> | undefined;
      lm.trace(PROMPTS[1]!, () => {
        hidden = layer(2).output[0]!.get(":", 1, ":");
      });
      lm.trace(PROMPTS[0]!, () => {
        layer(2).output[0]!.set([":", 1, ":"], hidden!);
        lm.output.item("logits").save("logits");
      });
    });
    const { runId, outcome } = await submit("bob", session);
    expect((await outcome).status).toBe("completed");
    const remote = await resultOf(runId);
    const solo = (await local.run(session)).saves;
    expect([...remote.logits!.data]).toEqual([...solo.logits!.data]);
  });

  it("a graph the model cannot run fails its run alone, with the validator's message", async () => {
    const bad = JSON.parse(
      JSON.stringify(
        lm.trace(PROMPTS[0]!, () => {
          layer(0).output[0]!.save("h");
        }),
      ).replace(/transformer\.h\.0/g, "transformer.h.60"),
    ) as Graph;
    const { runId, outcome } = await submit("ada", bad);
    const result = await outcome;
    expect(result).toMatchObject({
      status: "failed",
      code: "GraphValidationError",
    });
    expect(result.status === "failed" && result.reason).toMatch(
      /transformer\.h\.60/,
    );
    const run = await db.run.findUniqueOrThrow({ where: { id: runId } });
    expect(run.status).toBe("failed");
  });
});
