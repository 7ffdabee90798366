import type { Principal } from "./auth/principal.ts";
import type { ApiServices } from "./services.ts";

/** What every procedure sees: the shared services and who is calling. */
export interface ApiContext {
  readonly services: ApiServices;
  /** Null for anonymous calls. */
  readonly principal: Principal | null;
  /**
   * The caller's network address (clientAddressOf), the key of the per-client
   * rate limits on sign-up; "unknown" when the server did not say.
   */
  readonly clientAddress: string;
}

/**
 * Builds the per-request context (resolve the principal with resolvePrincipal,
 * the address with clientAddressOf or clientAddressFromHeaders).
 */
export function createApiContext(
  services: ApiServices,
  principal: Principal | null = null,
  clientAddress = "unknown",
): ApiContext {
  return { services, principal, clientAddress };
}
