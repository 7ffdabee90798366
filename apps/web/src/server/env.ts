import {
  parseTrustedProxies,
  RATE_LIMIT_VARIABLES,
  rateLimitSettings,
  RESULT_STORE_VARIABLES,
  resultStorageSettings,
} from "@loupe/api";
import { z } from "zod";

/**
 * Variables whose values a settings parser of the API reads (result storage,
 * rate limits): declared here so the web app's env is parsed in one place,
 * and turned into settings below.
 */
const parsedByTheApi = Object.fromEntries(
  [...RESULT_STORE_VARIABLES, ...RATE_LIMIT_VARIABLES].map((name) => [
    name,
    z.string().optional(),
  ]),
) as Record<
  | (typeof RESULT_STORE_VARIABLES)[number]
  | (typeof RATE_LIMIT_VARIABLES)[number],
  z.ZodOptional<z.ZodString>
>;

const fields = z.object({
  DATABASE_URL: z.url(),
  TEMPORAL_ADDRESS: z.string().regex(/^[^:\s]+:\d+$/, "expected host:port"),
  TEMPORAL_NAMESPACE: z.string().min(1).default("default"),
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
  ...parsedByTheApi,
});

const schema = fields.transform((env, ctx) => {
  /** A settings parser's error (it names its variable) as an issue of that variable. */
  const settings = <T>(parse: () => T): T => {
    try {
      return parse();
    } catch (error) {
      const message = (error as Error).message;
      const variable = /^([A-Z0-9_]+): /.exec(message)?.[1];
      ctx.addIssue({
        code: "custom",
        path: variable ? [variable] : [],
        message: variable ? message.slice(variable.length + 2) : message,
      });
      return z.NEVER;
    }
  };
  return {
    ...env,
    /** Where run results are stored (LOUPE_RESULT_STORE and LOUPE_S3_*). */
    resultStorage: settings(() => resultStorageSettings(env)),
    /** Sign-in, sign-up and link limits (LOUPE_RATE_LIMIT_*). */
    rateLimits: settings(() => rateLimitSettings(env)),
  };
});

/** The web app's server configuration. */
export type WebEnv = z.output<typeof schema>;

/** Parses an environment; a bad value fails naming the variable. */
export function parseWebEnv(env: Record<string, string | undefined>): WebEnv {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map(
      (i) => `  ${i.path.join(".")}: ${i.message}`,
    );
    throw new Error(`invalid web environment:\n${lines.join("\n")}`);
  }
  return result.data;
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
