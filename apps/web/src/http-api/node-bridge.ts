import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";

/**
 * A Node request as a Fetch Request, its signal aborted when the client goes
 * away before the answer is written. The body is not limited here: the API
 * limits it per caller once it knows who calls (maxRequestBytes). It is read
 * only as the handler pulls it (backpressure: nothing is buffered ahead of
 * the limit), and cancelling it discards the rest unread instead of cutting
 * the connection, so the client still gets the answer (a 413) intact.
 * Throws for a Host header that makes no URL.
 */
export function toFetchRequest(
  req: IncomingMessage,
  res: ServerResponse,
): Request {
  const aborted = new AbortController();
  res.once("close", () => {
    if (!res.writableEnded) aborted.abort();
  });
  const url = new URL(
    req.url ?? "/",
    `http://${req.headers.host ?? "localhost"}`,
  );
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(":") || value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value])
      headers.append(name, item);
  }
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  // `duplex` (required for a stream body) is missing from TypeScript's DOM RequestInit.
  const init: RequestInit & { duplex?: "half" } = {
    method,
    headers,
    signal: aborted.signal,
    ...(hasBody ? { body: pulledBody(req), duplex: "half" } : {}),
  };
  return new Request(url, init);
}

/** A request's body as a stream that reads a chunk per pull; cancelled, it discards the rest. */
function pulledBody(req: IncomingMessage): ReadableStream<Uint8Array> {
  let stopWaiting = () => {};
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      return new Promise<void>((resolve, reject) => {
        const settle = (then: () => void) => {
          stopWaiting();
          then();
          resolve();
        };
        const read = () => {
          const chunk = req.read() as Buffer | null;
          if (chunk !== null)
            settle(() =>
              controller.enqueue(
                new Uint8Array(
                  chunk.buffer,
                  chunk.byteOffset,
                  chunk.byteLength,
                ),
              ),
            );
          else if (req.readableEnded) settle(() => controller.close());
        };
        const end = () => settle(() => controller.close());
        const fail = (error: Error) => {
          stopWaiting();
          reject(error);
        };
        stopWaiting = () => {
          req.off("readable", read);
          req.off("end", end);
          req.off("error", fail);
        };
        req.on("readable", read);
        req.on("end", end);
        req.on("error", fail);
        read();
      });
    },
    cancel() {
      stopWaiting();
      // Flowing with no reader: Node reads and drops the rest.
      req.resume();
    },
  });
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
