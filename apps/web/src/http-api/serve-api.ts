import { describeUnstorableString, findUnstorableString } from "@loupe/api";
import { modelFileEndpoint, modelFilesEndpoint } from "./model-file-endpoint";
import { runResultEndpoint } from "./run-result-endpoint";
import { tokenizerEndpoint } from "./tokenizer-endpoint";
import { trpcEndpoint } from "./trpc-endpoint";

/** An API endpoint, given the request. */
export type ApiHandler = (req: Request) => Promise<Response>;

/**
 * The web app's HTTP API: the tRPC procedures, a run's result download, a
 * model's tokenizer and files. server.ts serves these ahead of Next.js, which serves
 * the portal's pages and Auth.js's routes. A script's run is three API
 * requests (submit, its long poll, the download), and Next.js's routing and
 * route-handler machinery cost 4 to 6 ms of CPU each, more than the work they
 * wrap (docs/DESIGN.md, "Runs and batches").
 *
 * Returns the endpoint for a method and path, or null for a path that is not
 * the API's (Next.js serves it). Throws URIError for a path whose escapes do
 * not decode, or BadPathError for a path segment that holds a string no
 * column can store (a NUL, a lone surrogate): both are 400s.
 */
export function apiRoute(method: string, pathname: string): ApiHandler | null {
  if (pathname.startsWith("/api/trpc/")) return trpcEndpoint;
  const reading = method === "GET" || method === "HEAD";
  const result = /^\/api\/runs\/([^/]+)\/result$/.exec(pathname);
  if (result && reading) {
    const runId = decodePathSegment(result[1]!, "runId");
    return (req) => runResultEndpoint(req, runId);
  }
  const tokenizer = /^\/api\/models\/([^/]+)\/tokenizer$/.exec(pathname);
  if (tokenizer && reading) {
    const name = decodePathSegment(tokenizer[1]!, "name");
    return () => tokenizerEndpoint(name);
  }
  const files = /^\/api\/models\/([^/]+)\/files$/.exec(pathname);
  if (files && reading) {
    const name = decodePathSegment(files[1]!, "name");
    return (req) => modelFilesEndpoint(req, name);
  }
  const file = /^\/api\/models\/([^/]+)\/files\/([^/]+)$/.exec(pathname);
  if (file && reading) {
    const name = decodePathSegment(file[1]!, "name");
    const fileName = decodePathSegment(file[2]!, "file");
    return (req) => modelFileEndpoint(req, name, fileName);
  }
  return null;
}

/** A path segment that decodes to a string no column can store. */
export class BadPathError extends Error {
  override readonly name = "BadPathError";
}

/** A decoded path segment, refused (BadPathError) when it is no storable string. */
function decodePathSegment(segment: string, name: string): string {
  const value = decodeURIComponent(segment);
  const found = findUnstorableString(value, name);
  if (found) throw new BadPathError(describeUnstorableString(found));
  return value;
}
