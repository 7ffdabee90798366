/**
 * `node --import tsx packages/api/src/seed/main.ts`: seeds a running platform
 * (the administrator, the demo experiment; see seedPlatform) from env, and
 * prints its report as one JSON line. The stack runs it after bring-up.
 */
import path from "node:path";
import { z } from "zod";
import { seedPlatform } from "./seed-platform.ts";

const env = z
  .object({
    DATABASE_URL: z.url(),
    TEMPORAL_ADDRESS: z.string().min(1),
    TEMPORAL_NAMESPACE: z.string().min(1).default("default"),
    LOUPE_ADMIN_EMAIL: z.email(),
    LOUPE_ADMIN_PASSWORD: z.string().min(8),
  })
  .parse(process.env);

const report = await seedPlatform({
  repoRoot: path.resolve(import.meta.dirname, "..", "..", "..", ".."),
  databaseUrl: env.DATABASE_URL,
  temporalAddress: env.TEMPORAL_ADDRESS,
  temporalNamespace: env.TEMPORAL_NAMESPACE,
  admin: { email: env.LOUPE_ADMIN_EMAIL, password: env.LOUPE_ADMIN_PASSWORD },
});
console.log(JSON.stringify(report));
