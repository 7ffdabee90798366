import {
  optionalVariables,
  parseAppEnv,
  parseTrustedProxies,
  RATE_LIMIT_VARIABLES,
  rateLimitSettings,
  RESULT_STORE_VARIABLES,
  resultStorageSettings,
  serviceConnectionFields,
  settingFrom,
} from "@loupe/api";
import { z } from "zod";

const fields = z.object({
  ...serviceConnectionFields,
  /** Signs and encrypts Auth.js session cookies (npm start generates one). */
  AUTH_SECRET: z.string().min(32, "use at least 32 random characters"),
  /**
   * Development: sign-in emails are written here as .eml files instead of
   * being sent (npm start sets it to .loupe/dev/outbox). Unset: no email
   * sign-in, since Loupe has no mail server configured.
   */
  LOUPE_OUTBOX_DIR: z.string().min(1).optional(),
  /**
   * The interface the server listens on: loopback unless told otherwise (as
   * the dev stack's PostgreSQL and Temporal); containers set 0.0.0.0.
   */
  LOUPE_WEB_HOST: z
    .string()
    .regex(/^[0-9A-Za-z.:[\]-]+$/, "expected a host name or IP address")
    .default("127.0.0.1"),
  /**
   * Proxies whose X-Forwarded-For names the client (addresses and CIDR
   * ranges, comma-separated); none by default: the client is the TCP peer.
   */
  LOUPE_TRUSTED_PROXIES: z
    .string()
    .optional()
    .transform((value, ctx) => {
      try {
        return parseTrustedProxies(value);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    }),
  /** The most procedures one batched tRPC request may call (the portal's client splits its batches to fit). */
  LOUPE_MAX_BATCH_PROCEDURES: z.coerce.number().int().min(1).default(20),
  /**
   * The largest body a request to a page may declare (form posts, server
   * actions, Auth.js): refused before Next.js reads it. The API's limit is
   * the caller's maxRequestBytes.
   */
  LOUPE_MAX_PAGE_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 ** 2),
  /** Result storage's and rate limits' variables, which the API's settings parsers read (below). */
  ...optionalVariables([...RESULT_STORE_VARIABLES, ...RATE_LIMIT_VARIABLES]),
});

const schema = fields.transform((env, ctx) => ({
  ...env,
  /** Where run results are stored (LOUPE_RESULT_STORE and LOUPE_S3_*). */
  resultStorage: settingFrom(ctx, () => resultStorageSettings(env)),
  /** Sign-in, sign-up and link limits (LOUPE_RATE_LIMIT_*). */
  rateLimits: settingFrom(ctx, () => rateLimitSettings(env)),
}));

/** The web app's server configuration. */
export type WebEnv = z.output<typeof schema>;

/** Parses an environment; a bad value fails naming the variable. */
export function parseWebEnv(env: Record<string, string | undefined>): WebEnv {
  return parseAppEnv("web", schema, env);
}

let parsed: WebEnv | undefined;

/**
 * The server's env, parsed once on first use (at start, by server.ts;
 * not at build time, when it is absent).
 */
export function getWebEnv(): WebEnv {
  parsed ??= parseWebEnv(process.env);
  return parsed;
}
