import type { AppRouter } from "@loupe/api";
import { createTRPCClient, httpLink } from "@trpc/client";
import {
  LoupeClientError,
  UnauthorizedError,
} from "../errors/loupe-client-error.ts";
import {
  NonApiAnswer,
  notLoupeServer,
  toClientError,
  UNAUTHORIZED_ADVICE,
  unauthorized,
  unreachable,
} from "../errors/to-client-error.ts";
import { SDK_VERSION } from "../version.ts";

/** Loupe's tRPC API, typed by the server's router (a type-only import). */
export type TrpcClient = ReturnType<typeof createTRPCClient<AppRouter>>;

/**
 * The header every request carries the SDK's version in; a server that
 * cannot serve that version answers SDK_VERSION_UNSUPPORTED (the API's
 * SDK_VERSION_HEADER).
 */
export const SDK_VERSION_HEADER = "x-loupe-sdk-version";

/** The fetch tRPC's links take. */
type TrpcFetch = NonNullable<Parameters<typeof httpLink>[0]["fetch"]>;

/** Where the platform is and who calls it. */
export interface Connection {
  /** The web app's origin, e.g. http://localhost:3000. */
  readonly url: string;
  /** An API key (`loupe_…`), sent as a bearer token. */
  readonly apiKey: string | undefined;
}

/**
 * The platform as the SDK reaches it: typed tRPC procedures plus the two plain
 * HTTP routes (run results as safetensors, model tokenizers). Every request
 * carries the SDK's version; every failure comes out as one of the SDK's
 * typed errors.
 */
export class ApiClient {
  readonly trpc: TrpcClient;
  /** The server's URL. The key is private, so logging a client never shows it. */
  readonly url: string;
  readonly #apiKey: string | undefined;

  constructor(connection: Connection) {
    this.url = connection.url;
    this.#apiKey = connection.apiKey;
    this.trpc = createTRPCClient<AppRouter>({
      links: [
        httpLink({
          url: new URL("/api/trpc", this.url).href,
          headers: () => this.#headers(),
          fetch: fetchApi,
        }),
      ],
    });
  }

  /** Runs one call, turning its failure into the SDK's typed error. */
  async call<T>(
    what: string,
    fn: (trpc: TrpcClient) => Promise<T>,
  ): Promise<T> {
    try {
      return await fn(this.trpc);
    } catch (error) {
      throw toClientError(error, this.url, what, this.#apiKey !== undefined);
    }
  }

  /** GETs a plain route of the web app (a run's result, a tokenizer) as bytes. */
  async download(path: string, what: string): Promise<Uint8Array> {
    const url = new URL(path, this.url).href;
    const site = { url: this.url, what, apiKeySet: this.#apiKey !== undefined };
    let response: Response;
    try {
      response = await fetch(url, { headers: this.#headers() });
    } catch (error) {
      throw unreachable(this.url, what, error);
    }
    const type = response.headers.get("content-type") ?? "";
    if (/^text\/html/i.test(type))
      throw notLoupeServer(site, new NonApiAnswer(response.status, type));
    if (response.status === 401 && !site.apiKeySet)
      throw unauthorized(site, `HTTP ${response.status}`);
    if (response.status === 401 || response.status === 403)
      throw new UnauthorizedError(
        response.status === 401 ? "UNAUTHORIZED" : "FORBIDDEN",
        `the server refused ${what} (HTTP ${response.status}): ${UNAUTHORIZED_ADVICE}`,
      );
    if (response.status === 404)
      throw new LoupeClientError(
        "NOT_FOUND",
        `${what}: ${await errorText(response)}`,
      );
    if (!response.ok)
      throw new LoupeClientError(
        "SERVER_ERROR",
        `the server failed while ${what} (HTTP ${response.status}): ${await errorText(response)}`,
      );
    return new Uint8Array(await response.arrayBuffer());
  }

  #headers(): Record<string, string> {
    const key = this.#apiKey;
    return {
      [SDK_VERSION_HEADER]: SDK_VERSION,
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    };
  }
}

/**
 * fetch for tRPC calls: an answer that is not JSON (an HTML page: not a
 * Loupe server) fails as NonApiAnswer, rather than as JSON.parse's
 * "Unexpected token '<'". Gateway errors (502, 503, 504) pass, so that
 * retries see their status. The global fetch is read at each call, as tRPC
 * does, so a replaced fetch (a test's) is used.
 */
const fetchApi: TrpcFetch = async (input, init) => {
  const response = await globalThis.fetch(input, init);
  const type = response.headers.get("content-type") ?? "";
  if (!/json/i.test(type) && ![502, 503, 504].includes(response.status)) {
    await response.body?.cancel().catch(() => undefined);
    throw new NonApiAnswer(response.status, type);
  }
  return response;
};

async function errorText(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  try {
    return (JSON.parse(text) as { error?: string }).error ?? text;
  } catch {
    return text;
  }
}
