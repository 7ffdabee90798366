import { createHash } from "node:crypto";
import type { Database } from "../create-database.ts";
import { sqlTransaction } from "../sql-transaction.ts";

/** Bytes per stored chunk: small enough to stream, large enough to keep row counts low. */
export const RESULT_CHUNK_BYTES = 1 << 20;

/** A stored result's identity: `sha256:<hex>` of its bytes, and its size. */
export interface StoredResult {
  readonly hash: string;
  readonly byteSize: number;
}

/** The content hash results are stored under. */
export function resultHash(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/**
 * Stores result bytes (safetensors) once per content hash, chunked, in one
 * transaction; storing the same bytes again is a no-op that returns the same
 * hash, so a retried activity never duplicates a result.
 */
export async function putResult(
  db: Database,
  bytes: Uint8Array,
): Promise<StoredResult> {
  const hash = resultHash(bytes);
  const chunks = Math.max(1, Math.ceil(bytes.length / RESULT_CHUNK_BYTES));
  await sqlTransaction(db, async (tx) => {
    const inserted = await tx.$executeRaw`
      INSERT INTO results (hash, byte_size, chunks) VALUES (${hash}, ${bytes.length}, ${chunks})
      ON CONFLICT (hash) DO NOTHING`;
    if (inserted === 0) return;
    for (let i = 0; i < chunks; i++)
      await tx.$executeRaw`
        INSERT INTO result_chunks (hash, index, data)
        VALUES (${hash}, ${i}, ${bytes.subarray(i * RESULT_CHUNK_BYTES, (i + 1) * RESULT_CHUNK_BYTES)})`;
  });
  return { hash, byteSize: bytes.length };
}

/** The result's size, or undefined when no result has that hash. */
export async function findResult(
  db: Database,
  hash: string,
): Promise<StoredResult | undefined> {
  const [row] = await db.sql.$queryRaw<{ byte_size: bigint }[]>`
    SELECT byte_size FROM results WHERE hash = ${hash}`;
  return row ? { hash, byteSize: Number(row.byte_size) } : undefined;
}

/**
 * The result's bytes chunk by chunk, one query per chunk, so a download never
 * holds the whole result in memory. Callers authorise by run before calling.
 */
export async function* readResultChunks(
  db: Database,
  hash: string,
): AsyncGenerator<Uint8Array> {
  const [row] = await db.sql.$queryRaw<{ chunks: number }[]>`
    SELECT chunks FROM results WHERE hash = ${hash}`;
  if (!row) throw new Error(`no stored result ${hash}`);
  for (let index = 0; index < row.chunks; index++) {
    const [chunk] = await db.sql.$queryRaw<{ data: Buffer }[]>`
      SELECT data FROM result_chunks WHERE hash = ${hash} AND index = ${index}`;
    if (!chunk) throw new Error(`stored result ${hash} lacks chunk ${index}`);
    yield new Uint8Array(
      chunk.data.buffer,
      chunk.data.byteOffset,
      chunk.data.byteLength,
    );
  }
}
