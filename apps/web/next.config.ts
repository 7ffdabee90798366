import type { NextConfig } from "next";

const config: NextConfig = {
  // Workspace packages ship TypeScript source; Next compiles them with the app.
  transpilePackages: [
    "@loupe/api",
    "@loupe/db",
    "@loupe/graph",
    "@loupe/workflows",
  ],
  // Native or server-only modules stay in node_modules instead of the bundle.
  serverExternalPackages: [
    "pg",
    "@prisma/adapter-pg",
    "@prisma/client",
    "@temporalio/client",
    "@temporalio/proto",
    "@grpc/grpc-js",
  ],
  poweredByHeader: false,
  // forbidden() from next/navigation: /admin and /events answer a
  // non-administrator with 403 (app/forbidden.tsx), not a 200 that says so.
  experimental: { authInterrupts: true },
  reactStrictMode: true,
  typescript: { ignoreBuildErrors: false },
};

export default config;
