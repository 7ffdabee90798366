import { request as playwrightRequest } from "@playwright/test";
import { appRouter } from "@loupe/api";
import { expect, signIn, test } from "./fixtures";

/**
 * The HTTP fuzz test (issue 21): seeded, at least 2,000 generated hostile
 * requests against the running stack, every router procedure enumerated from
 * the router itself, at least 100 requests per category. Not one may be
 * answered with a 5xx, and none may take over 2 s (a bound for this test, not
 * a benchmark). Half the requests are anonymous, half carry an API key.
 */
const SEED = 20261207;
const PER_CATEGORY = 250;
const SLOW_MS = 2_000;

/** mulberry32: a seeded generator, so a failure replays exactly. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every procedure of the router, with its kind, read from the router at test time. */
const PROCEDURES = Object.entries(
  (
    appRouter as unknown as {
      _def: { procedures: Record<string, { _def: { type: string } }> };
    }
  )._def.procedures,
).map(([path, p]) => ({ path, type: p._def.type as "query" | "mutation" }));

const HOSTILE_STRINGS = [
  "\u0000",
  "a\u0000b",
  "\ud800",
  "x\udfffy",
  "\ud83d",
  '\'; DROP TABLE "Event"; --',
  "../../../../etc/passwd",
  "%00%2e%2e%2f",
  "<script>alert(1)</script>",
  "\u202e\u2066",
  "𝕃𝕠𝕦𝕡𝕖",
  "x".repeat(100_000),
  "",
  " ",
  "null",
  "00000000-0000-0000-0000-000000000000",
  "\\u0000",
  "\r\n\r\nHTTP/1.1 200 OK",
];
const HOSTILE_VALUES: unknown[] = [
  null,
  true,
  -1,
  1e308,
  -0,
  Number.MAX_SAFE_INTEGER + 2,
  [],
  {},
  [[[[[]]]]],
  { __proto__: { admin: true } },
  { constructor: { prototype: { admin: true } } },
  ...HOSTILE_STRINGS,
];

/** What the fuzz test sends with: GET and POST, the answer's status once its body is read. */
interface Client {
  get(
    url: string,
    init?: { headers?: Record<string, string> },
  ): Promise<{ status(): number }>;
  post(
    url: string,
    init: { data: string; headers?: Record<string, string> },
  ): Promise<{ status(): number }>;
}

/**
 * Percent-encodes a hostile string for a URL. A lone surrogate has no UTF-8
 * form (encodeURIComponent throws on it): it is sent as the three bytes a
 * careless encoder would write (WTF-8), which is what an attacker sends.
 */
function encodeHostile(text: string): string {
  return text.replace(/[\s\S]/gu, (ch) => {
    try {
      return encodeURIComponent(ch);
    } catch {
      const c = ch.charCodeAt(0);
      return [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join("");
    }
  });
}

/** Reads (and drops) a response's body, so its connection is free again. */
async function settle(response: Response): Promise<{ status(): number }> {
  await response.arrayBuffer().catch(() => undefined);
  return { status: () => response.status };
}

interface Fired {
  readonly category: string;
  readonly describe: string;
  readonly status: number;
  readonly ms: number;
}

test("the fuzz test: 2,000+ hostile requests, none answered with a 5xx, none over 2 s", async ({
  stack,
}) => {
  test.setTimeout(600_000);
  const random = rng(SEED);
  const pick = <T>(xs: readonly T[]): T =>
    xs[Math.floor(random() * xs.length)]!;
  const baseURL = stack.webUrl!;

  // A signed-in user's API key, so half the requests get past authentication.
  const browser = await playwrightRequest.newContext({ baseURL });
  await signIn(browser, stack.seeded!.admin);
  const created = await browser.post("/api/trpc/keys.create", {
    data: {
      name: "fuzz",
      scopes: ["runs:read", "runs:write", "experiments:read"],
    },
  });
  expect(created.ok()).toBe(true);
  const key = ((await created.json()) as { result: { data: { key: string } } })
    .result.data.key;
  // Node's fetch, not Playwright's request contexts: those keep every
  // request (megabytes of hostile bodies) for their traces.
  const client = (headers: Record<string, string>): Client => ({
    get: (url, init = {}) =>
      fetch(new URL(url, baseURL), {
        headers: { ...headers, ...init.headers },
        redirect: "manual",
      }).then(settle),
    post: (url, init) =>
      fetch(new URL(url, baseURL), {
        method: "POST",
        body: init.data,
        headers: { ...headers, ...init.headers },
        redirect: "manual",
      }).then(settle),
  });
  const anonymous = client({});
  const keyed = client({ authorization: `Bearer ${key}` });
  const who = (): Client => (random() < 0.5 ? anonymous : keyed);

  const fired: Fired[] = [];
  const fire = async (
    category: string,
    describe: string,
    send: (ctx: Client) => Promise<{ status(): number }>,
  ) => {
    const started = performance.now();
    let status: number;
    try {
      status = (await send(who())).status();
    } catch (error) {
      // A server that refuses a huge body before reading it may reset the
      // connection while the client still writes: that is a refusal, not an
      // answer, and only that category may see it.
      const text = `${String(error)} ${String((error as { cause?: unknown }).cause)}`;
      if (!/ECONNRESET|EPIPE|other side closed/.test(text)) throw error;
      status = 0;
    }
    fired.push({ category, describe, status, ms: performance.now() - started });
  };
  const input = (value: unknown) => encodeURIComponent(JSON.stringify(value));
  const call =
    (path: string, type: "query" | "mutation", body: string) =>
    (ctx: Client) =>
      type === "query"
        ? ctx.get(`/api/trpc/${path}?input=${encodeURIComponent(body)}`)
        : ctx.post(`/api/trpc/${path}`, {
            data: body,
            headers: { "content-type": "application/json" },
          });

  /** A plausible input object with hostile values in it. */
  const hostileObject = (depth = 0): unknown => {
    const keys = [
      "experimentId",
      "runId",
      "model",
      "name",
      "email",
      "graph",
      "version",
      "id",
      "tag",
      "query",
      "cursor",
      "limit",
      "scopes",
    ];
    const o: Record<string, unknown> = {};
    const n = 1 + Math.floor(random() * 4);
    for (let i = 0; i < n; i++)
      o[pick(keys)] =
        depth < 2 && random() < 0.2
          ? hostileObject(depth + 1)
          : pick(HOSTILE_VALUES);
    return o;
  };

  // 1. Every procedure, called with hostile inputs (at least PER_CATEGORY, every procedure at least twice).
  const rounds = Math.max(2, Math.ceil(PER_CATEGORY / PROCEDURES.length));
  for (let r = 0; r < rounds; r++)
    for (const p of PROCEDURES) {
      const body = JSON.stringify(
        r === 0 ? hostileObject() : pick(HOSTILE_VALUES),
      );
      await fire(
        "every procedure",
        `${p.type} ${p.path} ${body.slice(0, 80)}`,
        call(p.path, p.type, body),
      );
    }

  // 2. Hostile strings in every string-like field of every procedure.
  for (let i = 0; i < PER_CATEGORY; i++) {
    const p = pick(PROCEDURES);
    const field = pick([
      "experimentId",
      "runId",
      "model",
      "name",
      "email",
      "id",
      "query",
    ]);
    const body = JSON.stringify({ [field]: pick(HOSTILE_STRINGS) });
    await fire(
      "hostile strings",
      `${p.path} ${body.slice(0, 80)}`,
      call(p.path, p.type, body),
    );
  }

  // 3. Malformed JSON.
  const broken = [
    '{"a":',
    "{",
    "[",
    '{"a":1,}',
    "nul",
    "\u0000",
    "{'a':1}",
    '{"a":"\\ud800"}',
    '{"a":1}}',
    "undefined",
    "\ufeff{}",
    '{"a":NaN}',
  ];
  for (let i = 0; i < PER_CATEGORY; i++) {
    const p = pick(PROCEDURES);
    await fire(
      "malformed JSON",
      `${p.path} ${pick(broken)}`,
      call(p.path, p.type, pick(broken)),
    );
  }

  // 4. Wrong types: arrays for objects, numbers for strings, and so on.
  for (let i = 0; i < PER_CATEGORY; i++) {
    const p = pick(PROCEDURES);
    const body = JSON.stringify(
      pick([
        [1, 2],
        42,
        "text",
        true,
        { experimentId: 1 },
        { graph: "x" },
        { version: "1" },
        { limit: -5 },
        { limit: 1e9 },
      ]),
    );
    await fire("wrong types", `${p.path} ${body}`, call(p.path, p.type, body));
  }

  // 5. Deeply nested bodies.
  for (let i = 0; i < 150; i++) {
    const depth = 1_000 + Math.floor(random() * 50_000);
    const body = "[".repeat(depth) + "]".repeat(depth);
    const p = pick(PROCEDURES);
    await fire(
      "deeply nested",
      `${p.path} depth ${depth}`,
      call(p.path, "mutation", body),
    );
  }

  // 6. Huge bodies (2-12 MB; issue 12's 64 MB case is in the security suite).
  for (let i = 0; i < 100; i++) {
    const mb = 2 + Math.floor(random() * 10);
    const body = JSON.stringify({
      graph: { nodes: "x".repeat(mb * 1024 * 1024) },
    });
    const p = pick(PROCEDURES);
    await fire("huge bodies", `${p.path} ${mb} MB`, (ctx) =>
      ctx.post(`/api/trpc/${p.path}`, {
        data: body,
        headers: { "content-type": "application/json" },
      }),
    );
  }

  // 7. Unknown procedures, and batches (large, unknown, mixed). A large
  // batch keeps its URL under Node's 16 KiB header limit (beyond it Node
  // itself answers 431): short names, an empty input.
  const short = PROCEDURES.map((p) => p.path).filter((p) => p.length <= 12);
  for (let i = 0; i < PER_CATEGORY; i++) {
    const n = pick([1, 2, 50, 200, 1000]);
    const names = Array.from({ length: n }, () =>
      n >= 200
        ? pick([...short, "nope", "a"])
        : random() < 0.5
          ? pick(PROCEDURES).path
          : pick([
              "nope",
              "__proto__",
              "constructor",
              "runs.nope",
              "a".repeat(300),
              "..",
              "experiments.get.x",
            ]),
    );
    const batchInput =
      n >= 200
        ? {}
        : Object.fromEntries(names.map((_, k) => [k, hostileObject()]));
    const path = `/api/trpc/${names.map(encodeURIComponent).join(",")}?batch=1`;
    const url = `${path}&input=${input(batchInput)}`;
    expect(path.length).toBeLessThan(16_000);
    // An input too long for a URL goes as a POST body (a batch of mutations).
    await fire("unknown procedures and batches", `${n} procedures`, (ctx) =>
      url.length < 16_000
        ? ctx.get(url)
        : ctx.post(path, {
            data: JSON.stringify(batchInput),
            headers: { "content-type": "application/json" },
          }),
    );
  }

  // 8. The other routes: result downloads, tokenizers, pages, with hostile path segments and queries.
  const routes = [
    "/api/runs/{}/result",
    "/api/models/{}/tokenizer",
    "/experiments/{}",
    "/runs/{}",
    "/models/{}",
    "/gallery?q={}",
    "/api/auth/signin?callbackUrl={}",
    "/events?cursor={}",
  ];
  for (let i = 0; i < PER_CATEGORY; i++) {
    const route = pick(routes).replace(
      "{}",
      encodeHostile(pick(HOSTILE_STRINGS).slice(0, 2_000)),
    );
    await fire("other routes", `GET ${route.slice(0, 80)}`, (ctx) =>
      ctx.get(route),
    );
  }

  // 9. The requests that gave 500 in the attack that filed the issue: a NUL or a lone surrogate in a string input.
  const ids = ["experimentId", "runId", "model", "name"];
  let replayed = 0;
  for (const p of PROCEDURES) {
    for (const field of ids) {
      for (const bad of ["\u0000", "\ud800"]) {
        const body = JSON.stringify({
          [field]: bad,
          experimentId: bad,
          version: 1,
        });
        await fire(
          "the requests that gave 500",
          `${p.path} ${field}=${JSON.stringify(bad)}`,
          call(p.path, p.type, body),
        );
        replayed++;
      }
    }
  }
  expect(replayed).toBeGreaterThanOrEqual(15);

  const byCategory = new Map<string, number>();
  for (const f of fired)
    byCategory.set(f.category, (byCategory.get(f.category) ?? 0) + 1);
  console.log(
    `fuzz: ${fired.length} requests (seed ${SEED}): ${[...byCategory].map(([c, n]) => `${c} ${n}`).join(", ")}; ${PROCEDURES.length} procedures`,
  );
  expect(fired.length).toBeGreaterThanOrEqual(2_000);
  for (const [category, n] of byCategory)
    expect(n, category).toBeGreaterThanOrEqual(100);
  const resets = fired.filter((f) => f.status === 0);
  expect(
    resets.filter((f) => f.category !== "huge bodies").map((f) => f.describe),
    "connections reset outside the huge bodies",
  ).toEqual([]);
  const failures = fired
    .filter((f) => f.status >= 500)
    .map((f) => `${f.status} ${f.category}: ${f.describe}`);
  expect(failures, "requests answered with a 5xx").toEqual([]);
  const slow = fired
    .filter((f) => f.ms > SLOW_MS)
    .map((f) => `${Math.round(f.ms)} ms ${f.category}: ${f.describe}`);
  expect(slow, `requests slower than ${SLOW_MS} ms`).toEqual([]);
  await browser.dispose();
});
