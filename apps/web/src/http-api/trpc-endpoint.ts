import {
  appRouter,
  createApiContext,
  maxRequestBytes,
  RequestTooLargeError,
  requestTooLargeResponse,
  withLimitedBody,
} from "@loupe/api";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { getApiServices } from "../server/api-services";
import { principalOf } from "../server/principal";

/** /api/trpc/<procedures>: the tRPC API (the SDK's, the CLI's, the portal's browser code's). */
export async function trpcEndpoint(req: Request): Promise<Response> {
  const services = getApiServices();
  // Who calls, from the headers alone; then their body limit (maxRequestBytes),
  // enforced before the body is parsed.
  const principal = await principalOf(req.headers);
  let limited: Request;
  try {
    limited = await withLimitedBody(
      req,
      await maxRequestBytes(services.db, principal),
    );
  } catch (error) {
    if (error instanceof RequestTooLargeError)
      return requestTooLargeResponse(
        error,
        new URL(req.url).pathname.replace(/^\/api\/trpc\//, ""),
      );
    throw error;
  }
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req: limited,
    router: appRouter,
    createContext: () => createApiContext(services, principal),
    onError({ error, path }) {
      if (
        error.code === "INTERNAL_SERVER_ERROR" ||
        error.code === "SERVICE_UNAVAILABLE"
      )
        console.error(`[api] ${path ?? "?"}:`, error.cause ?? error);
    },
  });
}
