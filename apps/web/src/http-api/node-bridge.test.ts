import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, expect, it } from "vitest";
import { sendFetchResponse } from "./node-bridge";

// The bridge between Node's server and the API's Fetch handlers, over a real
// socket: a client that leaves mid-body cancels the body's stream (a long
// poll or a download no one reads any more holds nothing), HEAD sends the
// headers only.
let server: Server | undefined;
afterEach(() => server?.close());

/** A server answering every request with `respond`; resolves when each answer is written. */
async function serve(respond: () => Response, written: Promise<void>[]) {
  server = createServer((req, res) => {
    written.push(sendFetchResponse(req, res, respond()));
  });
  await new Promise<void>((resolve) => server!.listen(0, resolve));
  return (server.address() as AddressInfo).port;
}

/** An endless body that records whether it was cancelled. */
function endless() {
  const state = { cancelled: false, pulled: 0 };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      state.pulled++;
      controller.enqueue(new Uint8Array(64 * 1024));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { body, state };
}

it("cancels the body's stream when the client goes away mid-body, and finishes", async () => {
  const { body, state } = endless();
  const written: Promise<void>[] = [];
  const port = await serve(() => new Response(body), written);
  await new Promise<void>((resolve) => {
    const req = request({ port, path: "/x" }, (res) => {
      res.once("data", () => {
        req.destroy();
        resolve();
      });
    });
    req.end();
  });
  await written[0];
  expect(state.cancelled).toBe(true);
});

it("answers HEAD with the headers only, without reading the body", async () => {
  const { body, state } = endless();
  const written: Promise<void>[] = [];
  const port = await serve(
    () => new Response(body, { headers: { "x-size": "42" } }),
    written,
  );
  const headers = await new Promise<Record<string, unknown>>((resolve) => {
    const req = request({ port, path: "/x", method: "HEAD" }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.headers));
    });
    req.end();
  });
  await written[0];
  expect(headers["x-size"]).toBe("42");
  expect(state.cancelled).toBe(true);
  expect(state.pulled).toBeLessThanOrEqual(1);
});

it("streams a whole body", async () => {
  const written: Promise<void>[] = [];
  const port = await serve(() => new Response("hello, loupe"), written);
  const text = await new Promise<string>((resolve) => {
    const req = request({ port, path: "/x" }, (res) => {
      let s = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (s += c));
      res.on("end", () => resolve(s));
    });
    req.end();
  });
  await written[0];
  expect(text).toBe("hello, loupe");
});
