// No "server-only" marker here: server.ts and its API (server code outside
// the React server graph, where that marker throws) use these services too.
import { createApiServices, type ApiServices } from "@loupe/api";
import { getWebEnv } from "./env";

const holder = globalThis as { __loupeApiServices?: ApiServices };

/** The process-wide API services (database and Temporal clients), created on first use. */
export function getApiServices(): ApiServices {
  if (!holder.__loupeApiServices) {
    const env = getWebEnv();
    holder.__loupeApiServices = createApiServices({
      databaseUrl: env.DATABASE_URL,
      temporalAddress: env.TEMPORAL_ADDRESS,
      temporalNamespace: env.TEMPORAL_NAMESPACE,
      resultStorage: env.resultStorage,
      rateLimits: env.rateLimits,
    });
  }
  return holder.__loupeApiServices;
}
