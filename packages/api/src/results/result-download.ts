import type { Database, ResultStorage } from "@loupe/db";
import { readableRun } from "../experiments/experiment-access.ts";
import type { Principal } from "../auth/principal.ts";
import { notFound } from "../errors/loupe-error.ts";

/**
 * A run's result as a stream of safetensors bytes, for a principal who may
 * read the run (never by hash: the hash alone authorises nothing). Throws the
 * API's NOT_FOUND for an unreadable run or one without a result.
 */
export async function openRunResult(
  db: Database,
  results: ResultStorage,
  principal: Principal | null,
  runId: string,
): Promise<{ byteSize: number; chunks: AsyncIterable<Uint8Array> }> {
  const run = await readableRun(db, principal, runId);
  if (
    run.status !== "completed" ||
    !run.resultHash ||
    run.resultBytes === null
  ) {
    throw notFound(`the result of run ${runId} (it is ${run.status})`);
  }
  return {
    byteSize: Number(run.resultBytes),
    chunks: results.read(run.resultHash),
  };
}

/** Where a model's tokenizer.json is served (see openModelTokenizer). */
export const tokenizerUrlOf = (model: string) =>
  `/api/models/${encodeURIComponent(model)}/tokenizer`;

/**
 * A hosted model's tokenizer.json, as its worker stored it at registration.
 * Public, like the model's manifest: SDKs decode the token ids of remote
 * results with it. Throws the API's NOT_FOUND for an unknown model or one
 * registered without a tokenizer.
 */
export async function openModelTokenizer(
  db: Database,
  results: ResultStorage,
  model: string,
): Promise<AsyncIterable<Uint8Array>> {
  const row = await db.model.findUnique({ where: { name: model } });
  if (!row) throw notFound(`model ${model}`);
  if (!row.tokenizerHash)
    throw notFound(`a tokenizer for model ${model} (none was registered)`);
  return results.read(row.tokenizerHash);
}
