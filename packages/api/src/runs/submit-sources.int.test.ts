import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  findRunSources,
  recordModelHosting,
  registerModel,
  type Database,
} from "@loupe/db";
import { connectTestDatabase, truncateAll } from "@loupe/db/testing";
import {
  createModel,
  manifestSchema,
  traceSources,
  type Envoy,
  type Graph,
} from "@loupe/graph";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createPasswordAccount, seedAdmin } from "../auth/accounts.ts";
import { principalOfUser } from "../auth/principal.ts";
import { createApiContext } from "../context.ts";
import { createCaller } from "../root-router.ts";
import { createApiServices } from "../services.ts";

// A submitted graph that does not fit its model is refused before anything
// is queued, each issue naming the script's line (from the sources sent
// beside the graph) and the module path; text prompts are tokenized first,
// so an index past a prompt's tokens is one of those issues.
const databaseUrl = inject("databaseUrl");
const services = createApiServices({
  databaseUrl,
  temporalAddress: inject("temporalAddress"),
  temporalNamespace: "default",
  platformTaskQueue: `runs-unpolled-${randomUUID()}`,
});
const db: Database = connectTestDatabase(databaseUrl);
const MODEL = "facts-sources";
const factsDir = path.resolve(import.meta.dirname, "../../../../models/facts");
const imported = JSON.parse(
  readFileSync(path.join(factsDir, "model.manifest.json"), "utf8"),
) as { manifest: unknown };

let researcher: ReturnType<typeof createCaller>;
let lm: ReturnType<typeof createModel<Envoy>>;

beforeAll(async () => {
  await truncateAll(db);
  const { userId: adminId } = await seedAdmin(db, {
    email: "admin@loupe.test",
    password: "admin-password",
  });
  const admin = createCaller(
    createApiContext(services, await principalOfUser(db, adminId)),
  );
  const { userId } = await createPasswordAccount(db, {
    email: "r@loupe.test",
    name: "R",
    password: "a-long-password",
  });
  const asResearcher = async () =>
    createCaller(createApiContext(services, await principalOfUser(db, userId)));
  await (
    await asResearcher()
  ).applications.submit({ affiliation: "Lab", purpose: "to study the models" });
  await admin.applications.review({ userId, decision: "approve" });
  researcher = await asResearcher();
  const base = manifestSchema.parse(imported.manifest);
  const manifest = { ...base, model: { ...base.model, name: MODEL } };
  const tokenizer = await services.results.put(
    readFileSync(path.join(factsDir, "tokenizer.json")),
  );
  await registerModel(db, {
    name: MODEL,
    hash: manifest.model.hash ?? MODEL,
    manifest,
    secondsPerToken: 1e-4,
    tokenizerHash: tokenizer.hash,
  });
  await recordModelHosting(db, {
    type: "model.online",
    payload: {
      name: MODEL,
      requestId: null,
      workerId: "w1",
      source: { kind: "path", path: "/srv/facts/model.onnx" },
      weightBytes: 1000,
    },
  });
  lm = createModel<Envoy>(manifest);
});
afterAll(async () => {
  await services.close();
  await db.$disconnect();
});

/** The sources as the SDK sends them: this file's name and each node's line. */
const sourcesOf = (graph: Graph) =>
  Object.fromEntries(
    [...traceSources(graph)].map(([id, f]) => [
      id,
      `src/runs/${path.basename(f.file)}:${f.line}`,
    ]),
  );

/** The message a refused submit throws. */
const refusal = (graph: Graph, sources?: Record<string, string>) =>
  researcher.runs
    .submit({ model: MODEL, graph, ...(sources && { sources }), reuse: false })
    .then(
      () => "accepted",
      (error: unknown) => (error as Error).message,
    );

describe("runs.submit with the script's sources", () => {
  it("refuses an index past the prompt's tokens before queuing, naming the script's line, the module, the index, the axis and its size", async () => {
    const graph = lm.trace("The Louvre", () => {
      lm.transformer!.h![0]!.output[0]!.get(":", 40, ":").save("h");
    });
    const line = traceSources(graph).get("n1")!.line;
    expect(await refusal(graph, sourcesOf(graph))).toBe(
      `graph does not fit model ${MODEL}:\n  src/runs/submit-sources.int.test.ts:${line}: transformer.h.0.output: index 40 is out of range for axis 1 of size 2: the sequence axis is as long as this invoke's longest prompt, in tokens (node n1, getitem)`,
    );
  });

  it("without sources, names the node as before", async () => {
    const graph = lm.trace("The Louvre", () => {
      lm.transformer!.h![0]!.output[0]!.get(":", 40, ":").save("h");
    });
    expect(await refusal(graph)).toBe(
      `graph does not fit model ${MODEL}:\n  node n1 (getitem): index 40 is out of range for axis 1 of size 2: the sequence axis is as long as this invoke's longest prompt, in tokens`,
    );
  });

  it("accepts an index inside the prompt, and stores the sources beside the graph, by run", async () => {
    const graph = lm.trace("The Louvre", () => {
      lm.transformer!.h![0]!.output[0]!.get(":", -1, ":").save("h");
    });
    const sources = sourcesOf(graph);
    const { runId } = await researcher.runs.submit({
      model: MODEL,
      graph,
      sources,
      reuse: false,
    });
    expect(await findRunSources(db, runId)).toEqual(sources);
  });
});
