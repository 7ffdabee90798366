import { runResultEndpoint } from "./run-result-endpoint";
import { tokenizerEndpoint } from "./tokenizer-endpoint";
import { trpcEndpoint } from "./trpc-endpoint";

/**
 * The web app's HTTP API: the tRPC procedures, a run's result download, a
 * model's tokenizer. server.ts serves these ahead of Next.js, which serves
 * the portal's pages and Auth.js's routes. A script's run is three API
 * requests (submit, its long poll, the download), and Next.js's routing and
 * route-handler machinery cost 4 to 6 ms of CPU each, more than the work they
 * wrap (docs/DESIGN.md, "Runs and batches").
 *
 * Returns null for a path that is not the API's.
 */
export function serveApi(req: Request): Promise<Response> | null {
  const { pathname } = new URL(req.url);
  if (pathname.startsWith("/api/trpc/")) return trpcEndpoint(req);
  const result = /^\/api\/runs\/([^/]+)\/result$/.exec(pathname);
  if (result && (req.method === "GET" || req.method === "HEAD"))
    return runResultEndpoint(req, decodeURIComponent(result[1]!));
  const tokenizer = /^\/api\/models\/([^/]+)\/tokenizer$/.exec(pathname);
  if (tokenizer && (req.method === "GET" || req.method === "HEAD"))
    return tokenizerEndpoint(decodeURIComponent(tokenizer[1]!));
  return null;
}

/** Whether `pathname` is the API's (cheap, before a Request is built). */
export function isApiPath(pathname: string): boolean {
  return (
    pathname.startsWith("/api/trpc/") ||
    pathname.startsWith("/api/runs/") ||
    pathname.startsWith("/api/models/")
  );
}
