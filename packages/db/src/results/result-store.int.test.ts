import { afterAll, beforeEach, expect, inject, it } from "vitest";
import { connectTestDatabase, truncateAll } from "../testing/index.ts";
import {
  findResult,
  putResult,
  readResultChunks,
  RESULT_CHUNK_BYTES,
  resultHash,
} from "./result-store.ts";

const db = connectTestDatabase(inject("databaseUrl"));
beforeEach(() => truncateAll(db));
afterAll(() => db.$disconnect());

async function readAll(hash: string): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of readResultChunks(db, hash)) parts.push(part);
  return Buffer.concat(parts);
}

it("stores bytes once per content hash, in chunks, and streams them back", async () => {
  const bytes = Uint8Array.from(
    { length: 2 * RESULT_CHUNK_BYTES + 123 },
    (_, i) => (i * 31) % 251,
  );
  const stored = await putResult(db, bytes);
  expect(stored).toEqual({ hash: resultHash(bytes), byteSize: bytes.length });
  expect(stored.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
  // Storing again (a retried activity) changes nothing.
  await Promise.all([putResult(db, bytes), putResult(db, bytes)]);
  expect(await db.result.count()).toBe(1);
  expect(await db.resultChunk.count()).toBe(3);
  expect(Buffer.compare(await readAll(stored.hash), bytes)).toBe(0);
  expect(await findResult(db, stored.hash)).toEqual(stored);
  expect(await findResult(db, "sha256:nope")).toBeUndefined();
});

it("stores an empty result", async () => {
  const stored = await putResult(db, new Uint8Array());
  expect((await readAll(stored.hash)).length).toBe(0);
});
