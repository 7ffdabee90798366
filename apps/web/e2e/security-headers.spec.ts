import type { APIResponse, Page } from "@playwright/test";
import { expect, signIn, test } from "./fixtures";

// Issue 21, findings 4 and 10b, against the production build: every page and
// API route sends the security headers; a page's scripts run only with its
// response's CSP nonce (and the portal still works under that policy); the
// administrators' pages answer anyone else with 403.

const SECURITY_HEADERS = {
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "strict-origin-when-cross-origin",
};

function expectSecurityHeaders(url: string, headers: Record<string, string>) {
  for (const [name, value] of Object.entries(SECURITY_HEADERS))
    expect(headers[name], `${name} on ${url}`).toBe(value);
  expect(headers["permissions-policy"], url).toContain("camera=()");
  expect(headers["content-security-policy"], url).toContain(
    "frame-ancestors 'none'",
  );
}

/** The nonce a page's CSP allows scripts with. */
function nonceOf(csp: string | undefined): string {
  const nonce = /script-src [^;]*'nonce-([^']+)'/.exec(csp ?? "")?.[1];
  expect(nonce, `a nonce in ${csp}`).toBeTruthy();
  return nonce!;
}

test("every page and API route sends the security headers; scripts carry the page's nonce", async ({
  request,
}) => {
  const pages = [
    "/",
    "/gallery",
    "/models",
    "/signin",
    "/signup",
    "/health",
    "/keys",
    "/admin",
    "/events",
    "/no-such-page",
  ];
  const apis = [
    "/api/trpc/models.list",
    "/api/trpc/no.such",
    "/api/auth/session",
    "/api/auth/csrf",
    "/api/models/facts-gpt2/tokenizer",
    "/api/runs/no-such-run/result",
  ];
  const nonces = new Set<string>();
  for (const url of pages) {
    const response: APIResponse = await request.get(url, { maxRedirects: 0 });
    const headers = response.headers();
    expectSecurityHeaders(url, headers);
    const csp = headers["content-security-policy"]!;
    const scriptSrc = csp.split("; ").find((d) => d.startsWith("script-src"));
    expect(scriptSrc, url).not.toContain("'unsafe-inline'");
    const nonce = nonceOf(csp);
    nonces.add(nonce);
    if ((headers["content-type"] ?? "").startsWith("text/html")) {
      // Every script tag, inline or not, carries this response's nonce.
      const html = await response.text();
      const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
      expect(scripts.length, url).toBeGreaterThan(0);
      for (const tag of scripts)
        expect(tag, `${url}: ${tag}`).toContain(`nonce="${nonce}"`);
    }
  }
  expect(nonces.size).toBe(pages.length);
  for (const url of apis) {
    const response = await request.get(url, { maxRedirects: 0 });
    expectSecurityHeaders(url, response.headers());
  }
});

test("the portal runs under its CSP: no violation, and its client code works", async ({
  page,
}) => {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content[- ]Security[- ]Policy|Refused to/i.test(message.text()))
      violations.push(message.text());
  });
  await page.goto("/gallery");
  await page.waitForLoadState("networkidle");
  // Client-side navigation needs the hydrated router, i.e. the scripts ran.
  await page
    .getByRole("navigation", { name: "Main" })
    .getByRole("link", { name: "Models" })
    .click();
  await expect(page).toHaveURL(/\/models$/);
  await page.goto("/signin");
  await page.waitForLoadState("networkidle");
  expect(violations).toEqual([]);
});

/** Signs a new researcher (not an administrator) up through the form, then in. */
async function signUpResearcher(page: Page) {
  const credentials = {
    email: `eve-${Date.now()}@loupe.test`,
    password: "eve-password-1",
  };
  await page.goto("/signup");
  await page.getByLabel("Name").fill("Eve");
  await page.getByLabel("Email").fill(credentials.email);
  await page.getByLabel(/Password/).fill(credentials.password);
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).not.toHaveURL(/\/signup/);
  await signIn(page.request, credentials);
}

test("a non-administrator gets 403 from /admin and /events; anonymous is sent to sign in", async ({
  browser,
  baseURL,
  stack,
}) => {
  const anonymous = await browser.newContext({ baseURL });
  for (const url of ["/admin", "/events"]) {
    const response = await anonymous.request.get(url, { maxRedirects: 0 });
    expect(response.status(), url).toBe(307);
    expect(response.headers()["location"], url).toContain("/signin");
  }
  await anonymous.close();

  const researcher = await browser.newContext({ baseURL });
  const page = await researcher.newPage();
  await signUpResearcher(page);
  for (const url of ["/admin", "/events"]) {
    const response = await page.goto(url);
    expect(response!.status(), url).toBe(403);
    await expect(page.getByTestId("forbidden")).toBeVisible();
  }
  await researcher.close();

  const admin = await browser.newContext({ baseURL });
  await signIn(admin.request, stack.seeded!.admin);
  for (const url of ["/admin", "/events"])
    expect((await admin.request.get(url)).status(), url).toBe(200);
  await admin.close();
});
