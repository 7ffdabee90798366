import { randomBytes, randomUUID } from "node:crypto";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  CLIENT_ADDRESS_HEADER,
  parseTrustedProxies,
  createApiContext,
  createApiServices,
  createCaller,
  createPasswordAccount,
  principalOfUser,
  type ApiServices,
} from "@loupe/api";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

// The web app's HTTP layer (server.ts's request listener and the API's
// endpoints) against a real PostgreSQL, over a real socket: issue 21's
// hostile requests, each answered with the safe status. Next.js is stood in
// for by a handler that records what it was handed (the pages' own answers
// are the browser tests' subject, e2e/security-headers.spec.ts).
Object.assign(process.env, {
  DATABASE_URL: inject("databaseUrl"),
  TEMPORAL_ADDRESS: inject("temporalAddress"),
  AUTH_SECRET: randomBytes(32).toString("hex"),
  LOUPE_MAX_BATCH_PROCEDURES: "20",
});
const { createRequestListener } = await import("./create-request-listener");
const { getApiServices } = await import("../server/api-services");

const pagesServed: {
  url: string;
  csp: string | undefined;
  client: string | undefined;
}[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer(
    createRequestListener({
      dev: false,
      maxPageBodyBytes: 1024 ** 2,
      trustedProxies: parseTrustedProxies(undefined),
      handleWithNext: async (req, res) => {
        pagesServed.push({
          url: req.url ?? "",
          csp: req.headers["content-security-policy"] as string | undefined,
          client: req.headers[CLIENT_ADDRESS_HEADER] as string | undefined,
        });
        let bytes = 0;
        for await (const chunk of req) bytes += (chunk as Buffer).byteLength;
        res.writeHead(200, { "content-type": "text/html" });
        res.end(`<p>page, ${bytes} bytes</p>`);
      },
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server?.close());

/** A tRPC query over GET, its input as JSON in the URL. */
const query = (path: string, input: string, headers: HeadersInit = {}) =>
  fetch(`${base}/api/trpc/${path}?input=${encodeURIComponent(input)}`, {
    headers,
  });

/** A new researcher and an API key of theirs (created and revoked as the portal does). */
async function researcherWithKey() {
  const services = getApiServices();
  const { userId } = await createPasswordAccount(services.db, {
    email: `hostile-${randomUUID()}@loupe.test`,
    name: "Hostile",
    password: "correct horse battery staple",
  });
  const caller = createCaller(
    createApiContext(services, await principalOfUser(services.db, userId)),
  );
  const { keyId, key } = await caller.keys.create({ name: "script" });
  return { caller, keyId, key };
}

describe("finding 2: the rate limits' client is the connection's peer", () => {
  it("stamps the peer's address on every request, over what the client sends, and ignores X-Forwarded-For from an untrusted peer", async () => {
    await fetch(`${base}/signin?stamp`, {
      headers: {
        [CLIENT_ADDRESS_HEADER]: "203.0.113.9",
        "x-forwarded-for": "198.51.100.7",
      },
    });
    const served = pagesServed.find((p) => p.url === "/signin?stamp");
    expect(served?.client).toBe("127.0.0.1");
  });
});

describe("the fuzz test's pages: a URL no page can read is a 400 before Next.js", () => {
  it.each([
    ["/experiments/%ED%A0%BD", "the path"],
    ["/models/a%00b", "the path"],
    ["/events?cursor=%ED%A0%80", "cursor"],
    ["/api/auth/signin?callbackUrl=null", "callbackUrl"],
    ["/api/auth/signin?callbackUrl=..%2F..%2Fetc%2Fpasswd", "callbackUrl"],
    ["/api/auth/signin?callbackUrl=%2F%2Fevil.example", "callbackUrl"],
  ])("%s", async (url, what) => {
    const before = pagesServed.length;
    const response = await fetch(`${base}${url}`);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain(what);
    expect(pagesServed.length).toBe(before);
  });

  it("hands a page a good callbackUrl and well-formed text", async () => {
    for (const url of [
      "/api/auth/signin?callbackUrl=%2Fruns%3Fx%3D1",
      "/experiments/%F0%9D%95%83",
    ])
      expect((await fetch(`${base}${url}`)).status, url).toBe(200);
  });
});

describe("finding 1: a string no column can store is a 400 naming the field", () => {
  it("refuses a NUL in experiments.get's experimentId", async () => {
    const response = await query(
      "experiments.get",
      '{"experimentId":"\\u0000"}',
    );
    expect(response.status).toBe(400);
    const body = (await response.json()) as {
      error: { message: string; data: { loupe: unknown } };
    };
    expect(body.error.message).toBe(
      "experimentId: holds a NUL character (U+0000), which cannot be stored; remove it or escape it",
    );
    expect(body.error.data.loupe).toEqual({
      code: "UNSTORABLE_STRING",
      path: "experimentId",
      problem: "a NUL character (U+0000)",
    });
  });

  it("refuses a lone surrogate, nested, in a mutation (before its sign-in check)", async () => {
    const response = await fetch(`${base}/api/trpc/experiments.create`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"title":"ok","tags":["fine","x\\ud800"]}',
    });
    expect(response.status).toBe(400);
    expect(
      ((await response.json()) as { error: { message: string } }).error.message,
    ).toBe(
      "tags.1: holds a lone UTF-16 surrogate, which cannot be stored; remove it or escape it",
    );
  });

  it("refuses a NUL in a path's run id", async () => {
    const response = await fetch(`${base}/api/runs/%00/result`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error:
        "bad request: runId: holds a NUL character (U+0000), which cannot be stored; remove it or escape it",
    });
  });
});

describe("finding 3: what a request may cost is bounded before any work", () => {
  it("refuses a batch of more than LOUPE_MAX_BATCH_PROCEDURES procedures, and serves one of 20", async () => {
    const paths = (n: number) => Array(n).fill("models.list").join(",");
    // Queries without input: the whole batch is in the URL (12 KB for 1000).
    const big = await fetch(`${base}/api/trpc/${paths(1000)}?batch=1`);
    expect(big.status).toBe(413);
    expect(
      ((await big.json()) as { error: { message: string } }).error.message,
    ).toBe(
      "a batch of 1000 procedures: at most 20 may be called in one request (LOUPE_MAX_BATCH_PROCEDURES); split the batch",
    );
    const fits = await fetch(`${base}/api/trpc/${paths(20)}?batch=1`);
    expect(fits.status).toBe(200);
  });

  it("refuses a 64 MB body for a page before Next.js sees it, without reading it", async () => {
    const before = pagesServed.length;
    const { status, body, sent } = await postDeclared(
      "/signin",
      64 * 1024 ** 2,
    );
    expect(status).toBe(413);
    expect(JSON.parse(body)).toEqual({
      error:
        "the request body has 67108864 bytes, and a page accepts at most 1048576 (LOUPE_MAX_PAGE_BODY_BYTES)",
    });
    expect(pagesServed.length).toBe(before);
    expect(sent).toBeLessThan(64 * 1024 ** 2);
  });

  it("refuses a page body of undeclared length (chunked)", async () => {
    const response = await fetch(`${base}/signin`, {
      method: "POST",
      body: new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode("a=1"));
          c.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(411);
  });

  it("refuses a 64 MB tRPC body from a signed-in caller (their maxRequestBytes)", async () => {
    const { key } = await researcherWithKey();
    const { status, body } = await postDeclared(
      "/api/trpc/runs.submit",
      64 * 1024 ** 2,
      {
        authorization: `Bearer ${key}`,
      },
    );
    expect(status).toBe(413);
    expect(JSON.parse(body)).toMatchObject({
      error: {
        data: { loupe: { limit: "maxRequestBytes", actual: 67108864 } },
      },
    });
  });
});

/**
 * POSTs a body that declares `length` bytes and streams them until the
 * server answers; resolves with the answer and how many bytes were sent.
 */
function postDeclared(
  path: string,
  length: number,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; sent: number }> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const req = request(
      `${base}${path}`,
      {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "content-length": length,
          ...headers,
        },
      },
      (res) => {
        answered = true;
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, body, sent });
        });
      },
    );
    req.on("error", (error) => {
      if (!answered) reject(error);
    });
    const write = () => {
      while (!answered && sent < length) {
        sent += chunk.byteLength;
        if (!req.write(chunk)) return void req.once("drain", write);
      }
      if (sent >= length) req.end();
    };
    write();
  });
}

describe("finding 4: every API answer carries the security headers", () => {
  const expectSecurityHeaders = (headers: Headers) => {
    expect(headers.get("x-frame-options")).toBe("DENY");
    expect(headers.get("x-content-type-options")).toBe("nosniff");
    expect(headers.get("referrer-policy")).toBe(
      "strict-origin-when-cross-origin",
    );
    expect(headers.get("permissions-policy")).toContain("camera=()");
    expect(headers.get("content-security-policy")).toContain(
      "frame-ancestors 'none'",
    );
  };

  it.each([
    ["a tRPC query", "/api/trpc/models.list"],
    ["a tRPC error", "/api/trpc/nope.nope"],
    ["a result download", `/api/runs/${randomUUID()}/result`],
    ["a tokenizer", "/api/models/nope/tokenizer"],
    ["a bad path", "/api/runs/%E0%A4%A/result"],
  ])("on %s (%s)", async (_, path) => {
    expectSecurityHeaders((await fetch(`${base}${path}`)).headers);
  });

  it("gives each page a fresh nonce in its CSP, the one Next.js reads from the request", async () => {
    const [a, b] = [await fetch(`${base}/keys`), await fetch(`${base}/admin`)];
    for (const response of [a, b]) expectSecurityHeaders(response.headers);
    const csp = a.headers.get("content-security-policy")!;
    expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/]{22}=='(;|$)/);
    expect(
      csp.split("; ").find((d) => d.startsWith("script-src")),
    ).not.toContain("unsafe-inline");
    expect(b.headers.get("content-security-policy")).not.toBe(csp);
    expect(pagesServed.find((p) => p.url === "/keys")?.csp).toBe(csp);
  });
});

describe("finding 8: a revoked API key is a 401, not anonymous", () => {
  it("answers a revoked key, an unknown key and a malformed header with 401", async () => {
    const { caller, keyId, key } = await researcherWithKey();
    const gallery = (authorization?: string) =>
      query(
        "experiments.gallery",
        "{}",
        authorization ? { authorization } : {},
      );
    expect((await gallery(`Bearer ${key}`)).status).toBe(200);
    await caller.keys.revoke({ keyId });
    const revoked = await gallery(`Bearer ${key}`);
    expect(revoked.status).toBe(401);
    expect(revoked.headers.get("www-authenticate")).toBe(
      'Bearer error="invalid_token"',
    );
    expect(
      ((await revoked.json()) as { error: { message: string } }).error.message,
    ).toMatch(
      /^the Authorization header's API key is not valid: it is revoked, unknown or malformed/,
    );
    expect(
      (await gallery(`Bearer loupe_0123abcd_${"x".repeat(32)}`)).status,
    ).toBe(401);
    expect((await gallery("Basic dXNlcjpwYXNz")).status).toBe(401);
    expect(
      (
        await fetch(`${base}/api/runs/${randomUUID()}/result`, {
          headers: { authorization: `Bearer ${key}` },
        })
      ).status,
    ).toBe(401);
    expect((await gallery()).status).toBe(200);
    // A page too: the revoked key is refused before Next.js renders anything.
    const served = pagesServed.length;
    const page = await fetch(`${base}/gallery`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(page.status).toBe(401);
    expect(pagesServed.length).toBe(served);
  });
});

describe("finding 10a: a database outage is a 503 with Retry-After", () => {
  it("answers the API's routes with 503 while PostgreSQL cannot be reached", async () => {
    const holder = globalThis as { __loupeApiServices?: ApiServices };
    const working = holder.__loupeApiServices;
    // A real PostgreSQL client pointed at a port where no server listens.
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    holder.__loupeApiServices = createApiServices({
      databaseUrl: `postgresql://loupe:loupe@127.0.0.1:${closed}/loupe`,
      temporalAddress: inject("temporalAddress"),
      temporalNamespace: "default",
    });
    try {
      for (const [path, headers] of [
        ["/api/trpc/experiments.gallery?input=%7B%7D", {}],
        [
          "/api/trpc/experiments.gallery?input=%7B%7D",
          { authorization: `Bearer loupe_0123abcd_${"y".repeat(32)}` },
        ],
        [`/api/runs/${randomUUID()}/result`, {}],
        ["/api/models/facts/tokenizer", {}],
      ] as const) {
        const response = await fetch(`${base}${path}`, { headers });
        expect([path, response.status]).toEqual([path, 503]);
        expect(response.headers.get("retry-after")).toBe("5");
        expect(await response.text()).toContain(
          "the database is unavailable; retry in 5 s",
        );
      }
    } finally {
      holder.__loupeApiServices = working;
    }
  });
});
