import { openModelTokenizer } from "@loupe/api";
import { TRPCError } from "@trpc/server";
import { readAll } from "../results/read-all";
import { getApiServices } from "../server/api-services";
import { failureResponse } from "./failure-response";

/**
 * GET /api/models/<name>/tokenizer: the hosted model's tokenizer.json (public,
 * like its manifest), so SDKs can decode the token ids in remote results.
 */
export async function tokenizerEndpoint(name: string): Promise<Response> {
  try {
    const { db, results } = getApiServices();
    const bytes = await readAll(await openModelTokenizer(db, results, name));
    return new Response(new Uint8Array(bytes), {
      headers: {
        "content-type": "application/json",
        "cache-control": "public, max-age=300",
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
