import type { IncomingMessage, ServerResponse } from "node:http";
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
 * Writes a Fetch Response to a Node response, streaming its body with
 * backpressure. (tRPC writes its responses this way inside its Node adapter
 * but does not export it.)
 */
export async function sendFetchResponse(
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
  if (!response.body) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value))
        await new Promise<void>((resolve, reject) => {
          const cleanup = () => {
            res.off("drain", onDrain);
            res.off("close", onClose);
          };
          const onDrain = () => {
            cleanup();
            resolve();
          };
          const onClose = () => {
            cleanup();
            reject(new Error("the client closed the connection"));
          };
          res.on("drain", onDrain);
          res.on("close", onClose);
        });
    }
    res.end();
  } catch (error) {
    await reader.cancel().catch(() => {});
    res.destroy(error instanceof Error ? error : undefined);
  }
}
