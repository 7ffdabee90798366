import { DEFAULT_RUN_LIMITS, type Database } from "@loupe/db";
import type { Principal } from "../auth/principal.ts";

/** The body limit of a caller without an account (nothing they may send needs more). */
export const ANONYMOUS_MAX_REQUEST_BYTES = 1024 ** 2;

/** A body over the caller's maxRequestBytes: refused before it is parsed. */
export class RequestTooLargeError extends Error {
  override readonly name = "RequestTooLargeError";
  readonly code = "RUN_LIMIT_EXCEEDED";
  readonly limit = "maxRequestBytes";
  constructor(
    readonly max: number,
    readonly actual: number,
  ) {
    super(
      `run limit maxRequestBytes exceeded: the request body has ${actual === Infinity ? "more than " + max : actual} bytes, and the limit is ${max}; an administrator can raise it in your quota`,
    );
  }
}

const cached = new Map<string, { max: number; until: number }>();

/**
 * The caller's maxRequestBytes (their quota's; kept 30 s per user, so a
 * request costs no query for it).
 */
export async function maxRequestBytes(
  db: Database,
  principal: Principal | null,
): Promise<number> {
  if (!principal) return ANONYMOUS_MAX_REQUEST_BYTES;
  const now = Date.now();
  const hit = cached.get(principal.userId);
  if (hit && hit.until > now) return hit.max;
  const quota = await db.quota.findUnique({
    where: { userId: principal.userId },
    select: { maxRequestBytes: true },
  });
  const max = Number(
    quota?.maxRequestBytes ?? DEFAULT_RUN_LIMITS.maxRequestBytes,
  );
  cached.set(principal.userId, { max, until: now + 30_000 });
  return max;
}

/**
 * A request with its body read, at most `max` bytes of it: a declared
 * Content-Length over the limit is refused before reading anything, and a
 * body without one is refused as soon as it passes the limit (so a client
 * cannot make the server buffer more than its limit). The returned request
 * carries the bytes read, for the handler to parse.
 */
export async function withLimitedBody(
  request: Request,
  max: number,
): Promise<Request> {
  if (request.method === "GET" || request.method === "HEAD" || !request.body)
    return request;
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > max) {
    // Not read: cancelling the body's stream discards it (the server's
    // bridge drops the rest unread, so the client still gets the 413).
    await request.body.cancel().catch(() => {});
    throw new RequestTooLargeError(max, declared);
  }
  const reader = request.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      throw new RequestTooLargeError(max, Infinity);
    }
    parts.push(value);
  }
  return new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body: Buffer.concat(parts),
  });
}

/** The refusal as a tRPC error response (what the SDK's tRPC client reads). */
export function requestTooLargeResponse(
  error: RequestTooLargeError,
  path: string,
): Response {
  return Response.json(
    {
      error: {
        message: error.message,
        code: -32600,
        data: {
          code: "PAYLOAD_TOO_LARGE",
          httpStatus: 413,
          path,
          loupe: {
            code: error.code,
            limit: error.limit,
            max: error.max,
            actual: error.actual === Infinity ? null : error.actual,
          },
        },
      },
    },
    // The rest of the body is not read: this connection takes no more requests.
    { status: 413, headers: { connection: "close" } },
  );
}
