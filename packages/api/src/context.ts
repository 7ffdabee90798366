import type { ApiServices } from "./services.ts";

/** What every procedure sees: the shared services (auth comes with accounts). */
export interface ApiContext {
  readonly services: ApiServices;
}

/** Builds the per-request context. */
export function createApiContext(services: ApiServices): ApiContext {
  return { services };
}
