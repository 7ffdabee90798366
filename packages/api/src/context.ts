import type { Principal } from "./auth/principal.ts";
import type { ApiServices } from "./services.ts";

/** What every procedure sees: the shared services and who is calling. */
export interface ApiContext {
  readonly services: ApiServices;
  /** Null for anonymous calls. */
  readonly principal: Principal | null;
}

/** Builds the per-request context (resolve the principal with resolvePrincipal). */
export function createApiContext(
  services: ApiServices,
  principal: Principal | null = null,
): ApiContext {
  return { services, principal };
}
