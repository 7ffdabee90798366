import { openRunResult } from "@loupe/api";
import { fromSafetensors } from "@loupe/graph";
import { TRPCError } from "@trpc/server";
import { readAll } from "../results/read-all";
import { tensorsToJson } from "../results/tensors-to-json";
import { getApiServices } from "../server/api-services";
import { principalOf } from "../server/principal";
import { failureResponse } from "./failure-response";

/**
 * GET /api/runs/<runId>/result: the run's saved values as a safetensors file,
 * streamed chunk by chunk from the result store, for whoever may read the run
 * (its requester, an administrator, or anyone for a public experiment's run).
 * Authorised by run, never by hash. With `?format=json`, the same values as
 * JSON (name → dtype, shape, flat data) for tools that do not read safetensors.
 */
export async function runResultEndpoint(
  req: Request,
  runId: string,
): Promise<Response> {
  try {
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
    const iterator = result.chunks[Symbol.asyncIterator]();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = await iterator.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      async cancel() {
        await iterator.return?.();
      },
    });
    return new Response(body, {
      headers: {
        "content-type": "application/octet-stream",
        "content-length": String(result.byteSize),
        "content-disposition": `attachment; filename="${runId}.safetensors"`,
        "cache-control": "private, no-store",
      },
    });
  } catch (error) {
    if (error instanceof TRPCError && error.code === "NOT_FOUND")
      return Response.json({ error: error.message }, { status: 404 });
    const failure = failureResponse(error);
    if (failure) return failure;
    throw error;
  }
}
