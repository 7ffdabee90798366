import { openRunResult } from "@loupe/api";
import { fromSafetensors } from "@loupe/graph";
import { readAll } from "../results/read-all";
import { tensorsToJson } from "../results/tensors-to-json";
import { getApiServices } from "../server/api-services";
import { principalOf } from "../server/principal";
import { respondOrFail } from "./respond-or-fail";

/**
 * GET /api/runs/<runId>/result: the run's saved values as a safetensors file,
 * streamed chunk by chunk from the result store, for whoever may read the run
 * (its requester, an administrator, or anyone for a public experiment's run).
 * Authorised by run, never by hash. With `?format=json`, the same values as
 * JSON (name → dtype, shape, flat data) for tools that do not read safetensors.
 */
export function runResultEndpoint(
  req: Request,
  runId: string,
): Promise<Response> {
  return respondOrFail(async () => {
    const { db, results } = getApiServices();
    const result = await openRunResult(
      db,
      results,
      await principalOf(req.headers),
      runId,
    );
    if (new URL(req.url).searchParams.get("format") === "json") {
      const { tensors } = fromSafetensors(await readAll(result.chunks));
      return new Response(tensorsToJson(tensors), {
        headers: {
          "content-type": "application/json",
          "content-disposition": `attachment; filename="${runId}.json"`,
          "cache-control": "private, no-store",
        },
      });
    }
    return new Response(streamOf(result.chunks), {
      headers: {
        "content-type": "application/octet-stream",
        "content-length": String(result.byteSize),
        "content-disposition": `attachment; filename="${runId}.safetensors"`,
        "cache-control": "private, no-store",
      },
    });
  });
}

/** A byte stream that reads `chunks` as the client takes them, and stops reading when it goes away. */
function streamOf(
  chunks: AsyncIterable<Uint8Array>,
): ReadableStream<Uint8Array> {
  const iterator = chunks[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}
