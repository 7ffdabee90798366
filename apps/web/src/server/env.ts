import { z } from "zod";

const schema = z.object({
  DATABASE_URL: z.url(),
  TEMPORAL_ADDRESS: z.string().regex(/^[^:\s]+:\d+$/, "expected host:port"),
  TEMPORAL_NAMESPACE: z.string().min(1).default("default"),
});

/** The web app's server configuration. */
export type WebEnv = z.infer<typeof schema>;

let parsed: WebEnv | undefined;

/**
 * Parses the server env once, on first use (not at build time, when it is absent);
 * a bad value fails naming the variable.
 */
export function getWebEnv(): WebEnv {
  if (parsed) return parsed;
  const result = schema.safeParse(process.env);
  if (!result.success) {
    const lines = result.error.issues.map(
      (i) => `  ${i.path.join(".")}: ${i.message}`,
    );
    throw new Error(`invalid web environment:\n${lines.join("\n")}`);
  }
  parsed = result.data;
  return parsed;
}
