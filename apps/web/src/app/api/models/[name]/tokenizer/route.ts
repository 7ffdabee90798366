import { openModelTokenizer } from "@loupe/api";
import { TRPCError } from "@trpc/server";
import { getApiServices } from "@/server/api-services";

export const dynamic = "force-dynamic";

/**
 * GET /api/models/<name>/tokenizer: the hosted model's tokenizer.json (public,
 * like its manifest), so SDKs can decode the token ids in remote results.
 */
export async function GET(
  _req: Request,
  { params }: { params: Promise<{ name: string }> },
) {
  const { name } = await params;
  try {
    const { db, results } = getApiServices();
    const chunks = await openModelTokenizer(db, results, name);
    const parts: Uint8Array[] = [];
    for await (const chunk of chunks) parts.push(chunk);
    return new Response(Buffer.concat(parts), {
      headers: {
        "content-type": "application/json",
        "cache-control": "public, max-age=300",
      },
    });
  } catch (error) {
    if (error instanceof TRPCError && error.code === "NOT_FOUND")
      return Response.json({ error: error.message }, { status: 404 });
    throw error;
  }
}
