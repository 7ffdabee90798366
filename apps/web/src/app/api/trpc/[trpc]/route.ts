import { appRouter, createApiContext } from "@loupe/api";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { getApiServices } from "@/server/api-services";
import { principalOf } from "@/server/principal";

export const dynamic = "force-dynamic";

function handler(req: Request) {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: async () =>
      createApiContext(getApiServices(), await principalOf(req.headers)),
    onError({ error, path }) {
      if (
        error.code === "INTERNAL_SERVER_ERROR" ||
        error.code === "SERVICE_UNAVAILABLE"
      )
        console.error(`[api] ${path ?? "?"}:`, error.cause ?? error);
    },
  });
}

export { handler as GET, handler as POST };
