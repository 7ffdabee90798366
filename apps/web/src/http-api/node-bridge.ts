import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { incomingMessageToRequest } from "@trpc/server/adapters/node-http";

/**
 * A Node request as a Fetch Request (tRPC's converter: its signal aborts when
 * the client goes away). The body is not limited here: the API limits it per
 * caller once it knows who calls (maxRequestBytes).
 */
export function toFetchRequest(
  req: IncomingMessage,
  res: ServerResponse,
): Request {
  return incomingMessageToRequest(req, res, { maxBodySize: null });
}

/**
 * Writes a Fetch Response to a Node response, its body streamed with
 * backpressure by Node's own pipeline: a client that goes away (a long poll
 * or a download it dropped) destroys the pipe, which cancels the body's
 * stream (a result's chunk reader among them) instead of leaving it waiting.
 * A HEAD request, or a status without a body, gets the headers only.
 */
export async function sendFetchResponse(
  req: IncomingMessage,
  res: ServerResponse,
  response: Response,
): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, key) => {
    if (key === "set-cookie") return;
    headers[key] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers["set-cookie"] = cookies;
  res.writeHead(response.status, response.statusText, headers);
  const body = response.body;
  if (
    !body ||
    req.method === "HEAD" ||
    response.status === 204 ||
    response.status === 304
  ) {
    await body?.cancel().catch(() => {});
    res.end();
    return;
  }
  try {
    await pipeline(Readable.fromWeb(body as NodeReadableStream), res);
  } catch {
    // The client went away, or the body failed mid-stream: the pipeline has
    // destroyed the response (the client sees a cut connection, never a
    // truncated body that looks whole).
  }
}
