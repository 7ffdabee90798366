import { request as playwrightRequest } from "@playwright/test";
import { expect, signIn, test } from "./fixtures";

/**
 * The security suite (issue 21): each attack of the review replayed against
 * the running stack (server.ts, Next.js, PostgreSQL, Temporal, the worker),
 * asserting the safe answer. The headers, the 403s and the outage have their
 * own specs (security-headers, database-outage), the supervisor its own
 * (npm-start-supervisor); the exact limits under concurrency are
 * packages/api's int tests.
 */
test("the review's attacks, replayed: each gets the safe answer", async ({
  stack,
}) => {
  const baseURL = stack.webUrl!;
  const trpc = (path: string, input: unknown) =>
    fetch(
      `${baseURL}/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`,
    );
  const post = (
    path: string,
    body: string,
    headers: Record<string, string> = {},
  ) =>
    fetch(`${baseURL}/api/trpc/${path}`, {
      method: "POST",
      body,
      headers: { "content-type": "application/json", ...headers },
    });

  // 1. A NUL or a lone surrogate in a string input: a 400 naming the field, not a 500.
  for (const bad of ["\u0000", "\ud800"]) {
    const response = await trpc("experiments.get", { experimentId: bad });
    expect(response.status, JSON.stringify(bad)).toBe(400);
    expect(await response.text()).toContain("experimentId");
  }

  // 3. A batch of 1,000 procedures, and a 64 MB body: refused before any work.
  // Short names: 1,000 of them fit in a URL, under Node's 16 KiB header limit.
  const names = Array.from({ length: 1_000 }, () => "account.me").join(",");
  const batch = await fetch(
    `${baseURL}/api/trpc/${names}?batch=1&input=${encodeURIComponent("{}")}`,
  );
  expect(batch.status).toBe(413);
  const started = performance.now();
  const huge = await post(
    "runs.submit",
    JSON.stringify({ graph: { nodes: "x".repeat(64 * 1024 ** 2) } }),
  ).catch((error: unknown) => ({ status: `reset: ${String(error)}` }));
  // The server answers 413 and drops the rest; on a busy machine the client
  // may still be writing when the connection closes (then fetch sees it
  // reset). Either way the body was refused, fast, and nothing froze.
  expect([413, "reset: TypeError: fetch failed"]).toContain(huge.status);
  expect(performance.now() - started).toBeLessThan(5_000);
  const after = performance.now();
  expect((await trpc("experiments.gallery", {})).status).toBe(200);
  expect(performance.now() - after).toBeLessThan(2_000);

  // 8. A revoked API key is a 401, not anonymous, even on a public read.
  const admin = await playwrightRequest.newContext({ baseURL });
  await signIn(admin, stack.seeded!.admin);
  const created = (await (
    await admin.post("/api/trpc/keys.create", { data: { name: "to revoke" } })
  ).json()) as { result: { data: { key: string; keyId: string } } };
  const { key, keyId } = created.result.data;
  const publicRead = () =>
    fetch(
      `${baseURL}/api/trpc/experiments.gallery?input=${encodeURIComponent("{}")}`,
      {
        headers: { authorization: `Bearer ${key}` },
      },
    );
  expect((await publicRead()).status).toBe(200);
  expect(
    (await admin.post("/api/trpc/keys.revoke", { data: { keyId } })).ok(),
  ).toBe(true);
  const revoked = await publicRead();
  expect(revoked.status).toBe(401);
  expect(revoked.headers.get("www-authenticate")).toContain("invalid_token");

  // 5. After sign-out, the old session cookie names nobody.
  const me = async () =>
    (await (await admin.get("/api/auth/session")).json()) as {
      user?: { email?: string };
    } | null;
  const state = await admin.storageState();
  expect((await me())?.user?.email).toBe(stack.seeded!.admin.email);
  const { csrfToken } = (await (await admin.get("/api/auth/csrf")).json()) as {
    csrfToken: string;
  };
  await admin.post("/api/auth/signout", {
    form: { csrfToken, callbackUrl: "/" },
  });
  const replay = await playwrightRequest.newContext({
    baseURL,
    storageState: state,
  });
  const replayed = (await (
    await replay.get("/api/trpc/account.me")
  ).json()) as {
    error?: { data?: { code?: string } };
  };
  expect(replayed.error?.data?.code).toBe("UNAUTHORIZED");

  // 9. Sign-up does not tell a taken email from a new one.
  const signUp = (email: string) =>
    post(
      "account.signUp",
      JSON.stringify({
        email,
        name: "Probe",
        password: "a long enough password",
      }),
    );
  const taken = await signUp(stack.seeded!.admin.email);
  const fresh = await signUp(`new-${Date.now()}@loupe.test`);
  expect(taken.status).toBe(fresh.status);
  expect(Object.keys((await taken.json()) as object)).toEqual(
    Object.keys((await fresh.json()) as object),
  );

  // 7. The web app listens on loopback: the stack's URL is 127.0.0.1 or localhost.
  expect(new URL(baseURL).hostname).toMatch(/^(127\.0\.0\.1|localhost)$/);

  await Promise.all([admin.dispose(), replay.dispose()]);
});
