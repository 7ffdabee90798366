import type {
  IncomingMessage,
  RequestListener,
  ServerResponse,
} from "node:http";
import {
  CLIENT_ADDRESS_HEADER,
  clientAddressOf,
  DATABASE_RETRY_AFTER_S,
  findUnstorableString,
  type TrustedProxies,
} from "@loupe/api";
import { databaseOutageRecent } from "../server/database-outage";
import { principalOf } from "../server/principal";
import { failureResponse } from "./failure-response";
import { sendFetchResponse, toFetchRequest } from "./node-bridge";
import {
  API_CONTENT_SECURITY_POLICY,
  COMMON_SECURITY_HEADERS,
  createNonce,
  pageContentSecurityPolicy,
} from "./security-headers";
import { apiRoute } from "./serve-api";

/** What the web app's request listener needs. */
export interface RequestListenerOptions {
  /** Serves every request that is not the API's: Next.js's request handler. */
  readonly handleWithNext: (
    req: IncomingMessage,
    res: ServerResponse,
  ) => Promise<void>;
  /** Development: the pages' CSP allows what Next.js's hot reload needs. */
  readonly dev: boolean;
  /** The largest body a request for Next.js may declare (LOUPE_MAX_PAGE_BODY_BYTES). */
  readonly maxPageBodyBytes: number;
  /** Peers that may say whom they forward for (LOUPE_TRUSTED_PROXIES). */
  readonly trustedProxies: TrustedProxies;
}

/**
 * The web app's request listener: every response gets the security headers
 * (a page its own CSP nonce, which Next.js reads from the request's
 * content-security-policy header and puts on its scripts); the API's
 * endpoints (src/http-api) answer their paths; everything else goes to
 * Next.js, once its body is known to fit LOUPE_MAX_PAGE_BODY_BYTES.
 *
 * @example
 *   createServer(createRequestListener({ handleWithNext, dev, maxPageBodyBytes }))
 */
export function createRequestListener(
  options: RequestListenerOptions,
): RequestListener {
  return (req, res) => {
    // The client's address, for the rate limits: stamped here, over whatever
    // the client sent under that name.
    req.headers[CLIENT_ADDRESS_HEADER] = clientAddressOf({
      remoteAddress: req.socket.remoteAddress,
      forwardedFor: req.headers["x-forwarded-for"]?.toString(),
      trustedProxies: options.trustedProxies,
    });
    for (const [name, value] of Object.entries(COMMON_SECURITY_HEADERS))
      res.setHeader(name, value);
    // The API's, until servePage gives a page its own.
    res.setHeader("content-security-policy", API_CONTENT_SECURITY_POLICY);
    const pathname = (req.url ?? "/").split("?", 1)[0]!;
    let answer: Promise<Response>;
    try {
      const endpoint = apiRoute(req.method ?? "GET", pathname);
      if (!endpoint) {
        servePage(req, res, options).catch((error: unknown) => {
          console.error(`[web] ${req.method} ${pathname}:`, error);
          if (res.headersSent) res.destroy();
          else sendJson(res, 500, "internal server error");
        });
        return;
      }
      answer = endpoint(toFetchRequest(req, res));
    } catch (error) {
      // A path whose escapes do not decode or hold a NUL, a Host header that is no host.
      sendJson(res, 400, `bad request: ${(error as Error).message}`);
      return;
    }
    answer
      .catch((error: unknown) => {
        const failure = failureResponse(error);
        if (failure) return failure;
        throw error;
      })
      .then((response) => sendFetchResponse(req, res, response))
      .catch((error: unknown) => {
        console.error(`[api] ${req.method} ${pathname}:`, error);
        if (res.headersSent) res.destroy();
        else sendJson(res, 500, "internal server error");
      });
  };
}

/**
 * Why a page's URL cannot be served, or undefined: a path segment or query
 * value whose escapes do not decode, or that holds a NUL or a lone UTF-16
 * surrogate (no page can look it up; PostgreSQL cannot store it), or an
 * Auth.js callbackUrl that is not a URL (Auth.js would throw, a 500).
 */
export function unreadablePageUrl(url: string): string | undefined {
  const [path = "/", query = ""] = url.split("?", 2);
  const decode = (part: string, what: string) => {
    let text: string;
    try {
      text = decodeURIComponent(part.replace(/\+/g, " "));
    } catch {
      return `${what}: its percent-escapes are not UTF-8`;
    }
    const unstorable = findUnstorableString(text);
    if (unstorable) return `${what}: holds ${unstorable.problem}`;
    return undefined;
  };
  for (const segment of path.split("/")) {
    const problem = decode(segment, "the path");
    if (problem) return problem;
  }
  for (const pair of query.split("&")) {
    if (!pair) continue;
    const [name = "", value = ""] = pair.split("=", 2);
    const problem =
      decode(name, "a query name") ?? decode(value, `query "${name}"`);
    if (problem) return problem;
    if (path.startsWith("/api/auth/") && name === "callbackUrl") {
      const target = decodeURIComponent(value.replace(/\+/g, " "));
      const local = /^\/(?![/\\])/.test(target);
      if (!local && !URL.canParse(target))
        return 'callbackUrl: expected a path on this site ("/runs") or a URL';
    }
  }
  return undefined;
}

/**
 * Hands a request to Next.js with a fresh CSP nonce, unless its body could
 * cost more than a page may (a body must declare its length, as browsers'
 * forms and fetches do, at most maxPageBodyBytes; refused unread), or it
 * carries an Authorization header that names no caller (a revoked API key
 * is a 401 on a page too, never read as anonymous).
 */
async function servePage(
  req: IncomingMessage,
  res: ServerResponse,
  options: RequestListenerOptions,
): Promise<void> {
  const length = req.headers["content-length"];
  const chunked = req.headers["transfer-encoding"] !== undefined;
  if (chunked && length === undefined) {
    res.setHeader("connection", "close");
    sendJson(
      res,
      411,
      "a request body for a page must declare its Content-Length",
    );
    return;
  }
  if (length !== undefined && Number(length) > options.maxPageBodyBytes) {
    res.setHeader("connection", "close");
    sendJson(
      res,
      413,
      `the request body has ${length} bytes, and a page accepts at most ${options.maxPageBodyBytes} (LOUPE_MAX_PAGE_BODY_BYTES)`,
    );
    return;
  }
  const unreadable = unreadablePageUrl(req.url ?? "/");
  if (unreadable) {
    sendJson(res, 400, `bad request: ${unreadable}`);
    return;
  }
  if (req.headers.authorization !== undefined) {
    try {
      await principalOf(
        new Headers({ authorization: req.headers.authorization }),
      );
    } catch (error) {
      const failure = failureResponse(error);
      if (!failure) throw error;
      await sendFetchResponse(req, res, failure);
      return;
    }
  }
  const policy = pageContentSecurityPolicy(createNonce(), options.dev);
  // Next.js reads the nonce from the request's header; the client's own is replaced.
  req.headers["content-security-policy"] = policy;
  delete req.headers["content-security-policy-report-only"];
  res.setHeader("content-security-policy", policy);
  answerOutageAs503(res);
  await options.handleWithNext(req, res);
}

/**
 * Makes a page's 500 a 503 with Retry-After while the database is out
 * (databaseOutageRecent): Next.js renders a failed page as a 500 whatever
 * the cause, and the page's tRPC caller and the principal record an outage
 * as they meet it.
 */
function answerOutageAs503(res: ServerResponse): void {
  const writeHead = res.writeHead.bind(res) as (
    status: number,
    ...rest: unknown[]
  ) => ServerResponse;
  res.writeHead = (status: number, ...rest: unknown[]) => {
    if (status !== 500 || !databaseOutageRecent())
      return writeHead(status, ...rest);
    res.setHeader("retry-after", String(DATABASE_RETRY_AFTER_S));
    if (typeof rest[0] === "string") rest[0] = "Service Unavailable";
    return writeHead(503, ...rest);
  };
}

function sendJson(res: ServerResponse, status: number, error: string): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ error }));
}
