import type { AppRouter } from "@loupe/api";
import { createTRPCClient, httpLink } from "@trpc/client";
import {
  LoupeClientError,
  toClientError,
  UNAUTHORIZED_ADVICE,
  UnauthorizedError,
  unreachable,
} from "../errors/loupe-client-error.ts";

/** Loupe's tRPC API, typed by the server's router (a type-only import). */
export type TrpcClient = ReturnType<typeof createTRPCClient<AppRouter>>;

/** Where the platform is and who calls it. */
export interface Connection {
  /** The web app's origin, e.g. http://localhost:3000. */
  readonly url: string;
  /** An API key (`loupe_…`), sent as a bearer token. */
  readonly apiKey: string | undefined;
}

/**
 * The platform as the SDK reaches it: typed tRPC procedures plus the two plain
 * HTTP routes (run results as safetensors, model tokenizers). Every failure
 * comes out as one of the SDK's typed errors.
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
          headers: () => this.#authHeaders(),
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
      throw toClientError(error, this.url, what);
    }
  }

  /** GETs a plain route of the web app (a run's result, a tokenizer) as bytes. */
  async download(path: string, what: string): Promise<Uint8Array> {
    const url = new URL(path, this.url).href;
    let response: Response;
    try {
      response = await fetch(url, { headers: this.#authHeaders() });
    } catch (error) {
      throw unreachable(this.url, what, error);
    }
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

  #authHeaders(): Record<string, string> {
    const key = this.#apiKey;
    return key ? { authorization: `Bearer ${key}` } : {};
  }
}

async function errorText(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  try {
    return (JSON.parse(text) as { error?: string }).error ?? text;
  } catch {
    return text;
  }
}
