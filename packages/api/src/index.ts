export { appRouter, createCaller, type AppRouter } from "./root-router.ts";
export { createApiContext, type ApiContext } from "./context.ts";
export {
  createApiServices,
  type ApiConfig,
  type ApiServices,
  type Mailer,
} from "./services.ts";
export type { HealthReport } from "./routers/system/system-router.ts";
export type { PartHealth } from "./health/part-health.ts";
export type { WorkerHealth } from "./health/probe-workers.ts";
export {
  resolvePrincipal,
  principalOfUser,
  principalOfApiKey,
  principalOfSession,
  API_KEY_SCOPES,
  ADMIN_API_KEY_SCOPES,
  DEFAULT_API_KEY_SCOPES,
  type Principal,
  type ApiKeyScope,
} from "./auth/principal.ts";
export {
  createPasswordAccount,
  signInWithPassword,
  accountOfOAuthIdentity,
  seedAdmin,
} from "./auth/accounts.ts";
export {
  createMagicLink,
  MAGIC_LINK_TTL_MS,
  signInWithMagicLink,
  TooManyLinksError,
} from "./auth/magic-links.ts";
export { DEFAULT_QUOTA } from "./auth/default-quota.ts";
export {
  AccountDisabledError,
  endSession,
  SESSION_MAX_AGE_S,
  startSession,
} from "./auth/sessions.ts";
export {
  DEFAULT_RATE_LIMITS,
  RateLimitedError,
  rateLimitSettings,
  RATE_LIMIT_VARIABLES,
  type RateLimit,
  type RateLimits,
} from "./auth/rate-limit.ts";
export {
  CLIENT_ADDRESS_HEADER,
  clientAddressFromHeaders,
  clientAddressOf,
  parseTrustedProxies,
  type TrustedProxies,
} from "./auth/client-address.ts";
export {
  openRunResult,
  openModelTokenizer,
} from "./results/result-download.ts";
export { listModelFiles, openModelFile } from "./routers/models/model-files.ts";
export { LoupeError } from "./errors/loupe-error.ts";
export {
  isDatabaseUnavailable,
  DATABASE_RETRY_AFTER_S,
} from "./errors/database-unavailable.ts";
export {
  findUnstorableString,
  describeUnstorableString,
  type UnstorableString,
} from "./http/find-unstorable-string.ts";
export {
  maxRequestBytes,
  withLimitedBody,
  requestTooLargeResponse,
  RequestTooLargeError,
} from "./http/request-body-limit.ts";
/** Result storage settings from env (LOUPE_RESULT_STORE, LOUPE_S3_*), for the apps. */
export {
  resultStorageSettings,
  RESULT_STORE_VARIABLES,
  serviceConnectionFields,
  optionalVariables,
  settingFrom,
  parseAppEnv,
} from "@loupe/db";
