/**
 * Prisma CLI configuration. Prisma's native schema engine cannot be downloaded on
 * Loupe's machines, so the CLI runs on its WASM engine through the pg driver
 * adapter.
 */
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import type { PrismaConfig } from "prisma";

export default {
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
  async adapter() {
    const connectionString = process.env.DATABASE_URL;
    if (!connectionString) {
      throw new Error(
        "DATABASE_URL is not set: the Prisma CLI needs it to reach PostgreSQL",
      );
    }
    return new PrismaPg({ connectionString });
  },
} satisfies PrismaConfig;
