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
  /**
   * The version the calling SDK sent (SDK_VERSION_HEADER); null when the
   * caller named none (the portal's pages). See assertSdkServed.
   */
  readonly sdkVersion?: string | null;
}

/**
 * Builds the per-request context (resolve the principal with resolvePrincipal,
 * the address with clientAddressOf or clientAddressFromHeaders, the SDK's
 * version from the SDK_VERSION_HEADER header).
 */
export function createApiContext(
  services: ApiServices,
  principal: Principal | null = null,
  clientAddress = "unknown",
  sdkVersion: string | null = null,
): ApiContext {
  return { services, principal, clientAddress, sdkVersion };
}
