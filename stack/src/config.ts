import path from "node:path";
import { z } from "zod";

/** Which set of local services: `dev` for `npm start`, `test` for `npm test`. */
export type StackProfile = "dev" | "test";

const portSchema = z.coerce.number().int().min(1024).max(65535);

const envSchema = z.object({
  LOUPE_HOME: z.string().min(1).optional(),
  LOUPE_PG_PORT: portSchema.optional(),
  LOUPE_TEMPORAL_PORT: portSchema.optional(),
  LOUPE_WEB_PORT: portSchema.optional(),
  LOUPE_TEMPORAL_BIN: z.string().min(1).optional(),
  DATABASE_URL: z.url().optional(),
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^:\s]+:\d+$/, "expected host:port")
    .optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).optional(),
});

/** Everything the local stack needs to know, resolved once from env and profile. */
export interface StackConfig {
  readonly profile: StackProfile;
  readonly repoRoot: string;
  /** Git-ignored folder holding this profile's databases and logs. */
  readonly home: string;
  /** Git-ignored folder shared by all profiles (the cached Temporal binary). */
  readonly cacheDir: string;
  readonly postgres:
    | { readonly kind: "external"; readonly url: string }
    | {
        readonly kind: "managed";
        readonly port: number;
        readonly dataDir: string;
        readonly database: string;
        readonly user: string;
        readonly password: string;
      };
  readonly temporal:
    | {
        readonly kind: "external";
        readonly address: string;
        readonly namespace: string;
      }
    | {
        readonly kind: "managed";
        readonly port: number;
        readonly dbFile: string;
        readonly binary: string;
        readonly namespace: string;
        /** Serve Temporal's web UI on port + 1000 (dev only). */
        readonly ui: boolean;
      };
  readonly web: { readonly port: number };
  readonly logsDir: string;
}

const defaults = {
  dev: { pg: 54320, temporal: 7233, web: 3000 },
  test: { pg: 54330, temporal: 7243, web: 3100 },
} as const;

/**
 * Resolves the stack configuration for a profile from the environment. Every
 * service is managed locally unless env names an external one (`DATABASE_URL`,
 * `TEMPORAL_ADDRESS`). Bad values fail here, naming the variable.
 */
export function resolveStackConfig(
  profile: StackProfile,
  env: Record<string, string | undefined>,
  repoRoot: string,
): StackConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (issue) => `  ${issue.path.join(".")}: ${issue.message}`,
    );
    throw new Error(
      `invalid environment for the Loupe stack:\n${lines.join("\n")}`,
    );
  }
  const e = parsed.data;
  const base = path.resolve(repoRoot, e.LOUPE_HOME ?? ".loupe");
  const home = path.join(base, profile);
  const cacheDir = path.resolve(repoRoot, ".loupe", "cache");
  const ports = defaults[profile];
  const namespace = e.TEMPORAL_NAMESPACE ?? "default";
  return {
    profile,
    repoRoot,
    home,
    cacheDir,
    logsDir: path.join(home, "logs"),
    postgres: e.DATABASE_URL
      ? { kind: "external", url: e.DATABASE_URL }
      : {
          kind: "managed",
          port: e.LOUPE_PG_PORT ?? ports.pg,
          dataDir: path.join(home, "postgres"),
          database: profile === "test" ? "loupe_test" : "loupe",
          user: "loupe",
          password: "loupe",
        },
    temporal: e.TEMPORAL_ADDRESS
      ? { kind: "external", address: e.TEMPORAL_ADDRESS, namespace }
      : {
          kind: "managed",
          port: e.LOUPE_TEMPORAL_PORT ?? ports.temporal,
          dbFile: path.join(home, "temporal.sqlite"),
          binary:
            e.LOUPE_TEMPORAL_BIN ?? path.join(cacheDir, "bin", "temporal"),
          namespace,
          ui: profile === "dev",
        },
    web: { port: e.LOUPE_WEB_PORT ?? ports.web },
  };
}

/** The connection URL of the stack's database, managed or external. */
export function databaseUrlOf(config: StackConfig): string {
  const pg = config.postgres;
  if (pg.kind === "external") return pg.url;
  return `postgresql://${pg.user}:${pg.password}@127.0.0.1:${pg.port}/${pg.database}`;
}

/** The `host:port` of the stack's Temporal frontend, managed or external. */
export function temporalAddressOf(config: StackConfig): string {
  const t = config.temporal;
  return t.kind === "external" ? t.address : `127.0.0.1:${t.port}`;
}
