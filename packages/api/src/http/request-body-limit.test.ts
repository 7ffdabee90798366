import { describe, expect, it } from "vitest";
import {
  RequestTooLargeError,
  requestTooLargeResponse,
  withLimitedBody,
} from "./request-body-limit.ts";

const url = "http://loupe.test/api/trpc/runs.submit";

/** A body streamed in chunks, with no Content-Length (as a chunked upload). */
function streamed(
  chunks: number,
  size: number,
): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled === chunks) return controller.close();
      pulled++;
      controller.enqueue(new Uint8Array(size).fill(65));
    },
  });
  return { stream, pulled: () => pulled };
}

describe("the request body limit (maxRequestBytes), before parsing", () => {
  it("passes a body within the limit through, byte for byte", async () => {
    const body = JSON.stringify({ graph: "x".repeat(1000) });
    const limited = await withLimitedBody(
      new Request(url, {
        method: "POST",
        body,
        headers: { "content-type": "application/json" },
      }),
      2000,
    );
    expect(await limited.text()).toBe(body);
    expect(limited.headers.get("content-type")).toBe("application/json");
  });

  it("refuses a declared Content-Length over the limit without reading the body", async () => {
    const { stream, pulled } = streamed(100, 1024);
    const request = new Request(url, {
      method: "POST",
      body: stream,
      headers: { "content-length": String(100 * 1024) },
      duplex: "half",
    } as RequestInit);
    const error = await withLimitedBody(request, 4096).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTooLargeError);
    expect(error).toMatchObject({
      limit: "maxRequestBytes",
      max: 4096,
      actual: 102400,
    });
    expect(pulled()).toBeLessThanOrEqual(1);
  });

  it("stops reading a body without Content-Length as soon as it passes the limit", async () => {
    const { stream, pulled } = streamed(1000, 1024);
    const request = new Request(url, {
      method: "POST",
      body: stream,
      duplex: "half",
    } as RequestInit);
    const error = await withLimitedBody(request, 8 * 1024).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RequestTooLargeError);
    expect(pulled()).toBeLessThan(20);
    const response = requestTooLargeResponse(
      error as RequestTooLargeError,
      "runs.submit",
    );
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({
      error: {
        data: {
          code: "PAYLOAD_TOO_LARGE",
          httpStatus: 413,
          loupe: {
            code: "RUN_LIMIT_EXCEEDED",
            limit: "maxRequestBytes",
            max: 8192,
          },
        },
      },
    });
  });
});
