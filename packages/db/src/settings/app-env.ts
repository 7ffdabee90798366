import { z } from "zod";

/**
 * What the apps' env schemas share (apps/worker/src/env.ts,
 * apps/web/src/server/env.ts): the services both connect to, the fields of
 * variables that a package's settings parser reads, and the parse that fails
 * naming each bad variable. Here because both apps reach packages/db (the
 * web app through @loupe/api), and the settings parsers they wrap are db's
 * and the API's.
 */

/** PostgreSQL and Temporal, which every Loupe process connects to. */
export const serviceConnectionFields = {
  DATABASE_URL: z.url(),
  TEMPORAL_ADDRESS: z.string().regex(/^[^:\s]+:\d+$/, "expected host:port"),
  TEMPORAL_NAMESPACE: z.string().min(1).default("default"),
};

/** Optional string fields for the variables a settings parser reads (RESULT_STORE_VARIABLES, ...). */
export function optionalVariables<const N extends string>(
  names: readonly N[],
): Record<N, z.ZodOptional<z.ZodString>> {
  return Object.fromEntries(
    names.map((name) => [name, z.string().optional()]),
  ) as Record<N, z.ZodOptional<z.ZodString>>;
}

/**
 * Runs a settings parser inside a schema's transform. Its error, whose
 * message starts with the variable it is about ("LOUPE_S3_BUCKET: required
 * ..."), becomes an issue of that variable, so it is reported with the rest.
 */
export function settingFrom<T>(ctx: z.RefinementCtx, parse: () => T): T {
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
}

/** Parses an app's env with its schema; every bad value is listed, named by its variable. */
export function parseAppEnv<S extends z.ZodType>(
  app: string,
  schema: S,
  env: Record<string, string | undefined>,
): z.output<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map(
      (i) => `  ${i.path.join(".")}: ${i.message}`,
    );
    throw new Error(`invalid ${app} environment:\n${lines.join("\n")}`);
  }
  return result.data;
}
