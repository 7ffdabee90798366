import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { listModelFiles, openModelFile } from "@loupe/api";
import { getApiServices } from "../server/api-services";
import { principalOf } from "../server/principal";
import { respondOrFail } from "./respond-or-fail";

/**
 * GET /api/models/<name>/files: a hosted model's files (which is the ONNX
 * file, and each one's size and URL; see listModelFiles), for signed-in
 * callers: what `loupe models pull` downloads.
 */
export function modelFilesEndpoint(
  req: Request,
  name: string,
): Promise<Response> {
  return respondOrFail(async () => {
    if (!(await principalOf(req.headers))) return signInFirst(name);
    const { db } = getApiServices();
    return Response.json(await listModelFiles(db, name), {
      headers: { "cache-control": "private, no-store" },
    });
  });
}

/**
 * GET /api/models/<name>/files/<file>: one of those files, streamed from
 * disk, for signed-in callers; `loupe models pull` checks what it gets
 * against the model's hash.
 */
export function modelFileEndpoint(
  req: Request,
  name: string,
  file: string,
): Promise<Response> {
  return respondOrFail(async () => {
    if (!(await principalOf(req.headers))) return signInFirst(name);
    const { db } = getApiServices();
    const found = await openModelFile(db, name, file);
    const body = Readable.toWeb(
      createReadStream(found.path),
    ) as ReadableStream<Uint8Array>;
    return new Response(body, {
      headers: {
        "content-type": "application/octet-stream",
        "content-length": String(found.bytes),
        "content-disposition": `attachment; filename="${encodeURIComponent(file)}"`,
        "cache-control": "private, no-store",
      },
    });
  });
}

/** The 401 of a request without a caller: a model's files can be large, so only signed-in callers get them. */
function signInFirst(name: string): Response {
  return Response.json(
    {
      error: `sign in first: the files of model ${name} are served to signed-in callers (an API key)`,
    },
    { status: 401 },
  );
}
