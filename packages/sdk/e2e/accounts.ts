import { randomUUID } from "node:crypto";
import type { AppRouter } from "@loupe/api";
import { createTRPCClient, httpLink } from "@trpc/client";

/** The API as a signed-in browser calls it (an Auth.js session cookie). */
export type SessionClient = ReturnType<typeof createTRPCClient<AppRouter>>;

function client(base: string, cookie?: string): SessionClient {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${base}/api/trpc`,
        headers: () => (cookie ? { cookie } : {}),
      }),
    ],
  });
}

/**
 * Signs in through Auth.js's credentials endpoint as the portal's form does
 * (CSRF token first) and returns a client carrying the session cookie.
 */
export async function signIn(
  base: string,
  credentials: { email: string; password: string },
): Promise<SessionClient> {
  return client(base, await sessionCookie(base, credentials));
}

/** Signs in as signIn does and returns the session's Cookie header (what a browser sends the portal's pages). */
export async function sessionCookie(
  base: string,
  credentials: { email: string; password: string },
): Promise<string> {
  const jar = new Map<string, string>();
  const keep = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(";")[0]!;
      const at = pair.indexOf("=");
      jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  const csrf = await fetch(`${base}/api/auth/csrf`);
  keep(csrf);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  keep(
    await fetch(`${base}/api/auth/callback/credentials`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        cookie: cookie(),
      },
      body: new URLSearchParams({
        csrfToken,
        ...credentials,
        callbackUrl: "/",
      }),
      redirect: "manual",
    }),
  );
  const session = (await (
    await fetch(`${base}/api/auth/session`, { headers: { cookie: cookie() } })
  ).json()) as { user?: { email?: string } } | null;
  if (session?.user?.email !== credentials.email)
    throw new Error(`sign-in did not take: ${JSON.stringify(session)}`);
  return cookie();
}

/** Creates an API key through the API, as the portal's key page does. */
export async function createKey(session: SessionClient): Promise<string> {
  const { key } = await session.keys.create.mutate({ name: "sdk e2e" });
  return key;
}

/**
 * A new researcher: signs up, applies, is approved by the administrator with
 * `quota`, and gets an API key.
 */
export async function approvedResearcher(
  base: string,
  admin: SessionClient,
  quota: {
    computeSecondsPerDay: number;
    maxConcurrentRuns: number;
    maxRunsPerDay: number;
    maxResultBytes: number;
  },
): Promise<{ email: string; key: string }> {
  const email = `researcher-${randomUUID().slice(0, 8)}@loupe.test`;
  const password = "a-long-password-1";
  const { userId } = await client(base).account.signUp.mutate({
    email,
    name: "SDK researcher",
    password,
  });
  const session = await signIn(base, { email, password });
  await session.applications.submit.mutate({
    affiliation: "Loupe SDK tests",
    purpose: "end-to-end tests of typed errors",
  });
  await admin.applications.review.mutate({
    userId,
    decision: "approve",
    quota,
  });
  return { email, key: await createKey(session) };
}
