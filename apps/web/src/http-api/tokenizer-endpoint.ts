import { openModelTokenizer } from "@loupe/api";
import { readAll } from "../results/read-all";
import { getApiServices } from "../server/api-services";
import { respondOrFail } from "./respond-or-fail";

/**
 * GET /api/models/<name>/tokenizer: the hosted model's tokenizer.json (public,
 * like its manifest), so SDKs can decode the token ids in remote results.
 */
export function tokenizerEndpoint(name: string): Promise<Response> {
  return respondOrFail(async () => {
    const { db, results } = getApiServices();
    const bytes = await readAll(await openModelTokenizer(db, results, name));
    return new Response(new Uint8Array(bytes), {
      headers: {
        "content-type": "application/json",
        "cache-control": "public, max-age=300",
      },
    });
  });
}
