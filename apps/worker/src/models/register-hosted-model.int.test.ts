import { randomUUID } from "node:crypto";
import { afterAll, expect, inject, it } from "vitest";
import { connectTestDatabase } from "@loupe/db/testing";
import { EngineThread } from "@loupe/engine";
import { bundledModel } from "../testing/platform-fixture.ts";
import { registerHostedModel } from "./register-hosted-model.ts";

const db = connectTestDatabase(inject("databaseUrl"));
afterAll(() => db.$disconnect());

it("registers a model hosted without a tokenizer (token-id graphs only), with its measured cost", async () => {
  const name = `no-tokenizer-${randomUUID().slice(0, 8)}`;
  const model = bundledModel(name);
  const engine = await EngineThread.start(model.onnx, model.manifest);
  try {
    const { secondsPerToken, registered } = await registerHostedModel(db, {
      name,
      manifest: model.manifest,
      engine,
    });
    expect(registered).toBe(true);
    expect(secondsPerToken).toBeGreaterThan(0);
    const row = await db.model.findUniqueOrThrow({ where: { name } });
    expect(row.tokenizerHash).toBeNull();
    expect(row.secondsPerToken).toBeCloseTo(secondsPerToken, 12);
  } finally {
    await engine.close();
  }
});
