import { runResultEndpoint } from "./run-result-endpoint";
import { tokenizerEndpoint } from "./tokenizer-endpoint";
import { trpcEndpoint } from "./trpc-endpoint";

/** An API endpoint, given the request. */
export type ApiHandler = (req: Request) => Promise<Response>;

/**
 * The web app's HTTP API: the tRPC procedures, a run's result download, a
 * model's tokenizer. server.ts serves these ahead of Next.js, which serves
 * the portal's pages and Auth.js's routes. A script's run is three API
 * requests (submit, its long poll, the download), and Next.js's routing and
 * route-handler machinery cost 4 to 6 ms of CPU each, more than the work they
 * wrap (docs/DESIGN.md, "Runs and batches").
 *
 * Returns the endpoint for a method and path, or null for a path that is not
 * the API's (Next.js serves it). Throws URIError for a path whose escapes do
 * not decode.
 */
export function apiRoute(method: string, pathname: string): ApiHandler | null {
  if (pathname.startsWith("/api/trpc/")) return trpcEndpoint;
  const reading = method === "GET" || method === "HEAD";
  const result = /^\/api\/runs\/([^/]+)\/result$/.exec(pathname);
  if (result && reading) {
    const runId = decodeURIComponent(result[1]!);
    return (req) => runResultEndpoint(req, runId);
  }
  const tokenizer = /^\/api\/models\/([^/]+)\/tokenizer$/.exec(pathname);
  if (tokenizer && reading) {
    const name = decodeURIComponent(tokenizer[1]!);
    return () => tokenizerEndpoint(name);
  }
  return null;
}
