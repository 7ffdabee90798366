import { spawnSync } from "node:child_process";
import path from "node:path";

/**
 * Applies the committed SQL migrations (prisma/migrations) with
 * `prisma migrate deploy`, which runs offline on Prisma's WASM schema engine.
 */
export function applyMigrations(repoRoot: string, databaseUrl: string): void {
  const prisma = path.join(repoRoot, "node_modules", ".bin", "prisma");
  const result = spawnSync(prisma, ["migrate", "deploy"], {
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    encoding: "utf8",
  });
  if (result.status !== 0) {
    throw new Error(
      `prisma migrate deploy failed:\n${result.stdout}${result.stderr}`,
    );
  }
}
