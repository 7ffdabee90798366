/**
 * The web app's server: the HTTP API (src/http-api) ahead of Next.js, which
 * serves the portal's pages and Auth.js's routes. `--dev` runs Next.js in
 * development mode (compiling on request, hot reload).
 *
 *   node --import tsx server.ts [--dev]
 *   (PORT, default 3000; LOUPE_WEB_HOST, default 127.0.0.1)
 */
import { createServer } from "node:http";
import { createRequestListener } from "./src/http-api/create-request-listener";
import { getWebEnv, type WebEnv } from "./src/server/env";

const dev = process.argv.includes("--dev");
// As `next start` and `next dev` do, before Next.js is loaded.
Object.assign(process.env, {
  NODE_ENV: process.env.NODE_ENV ?? (dev ? "development" : "production"),
});
const port = Number(process.env.PORT ?? 3000);

// A bad environment stops the server here, naming the variable.
let env: WebEnv;
try {
  env = getWebEnv();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

const { default: next } = await import("next");
const app = next({ dev, dir: import.meta.dirname, port });
const handleWithNext = app.getRequestHandler();
await app.prepare();

const server = createServer(
  createRequestListener({
    handleWithNext,
    dev,
    maxPageBodyBytes: env.LOUPE_MAX_PAGE_BODY_BYTES,
    trustedProxies: env.LOUPE_TRUSTED_PROXIES,
  }),
);
server.listen(port, env.LOUPE_WEB_HOST, () => {
  const shown = env.LOUPE_WEB_HOST.includes(":")
    ? `[${env.LOUPE_WEB_HOST}]`
    : env.LOUPE_WEB_HOST;
  console.log(
    `▲ Loupe web app on http://${shown}:${port}${dev ? " (dev)" : ""}`,
  );
});
for (const signal of ["SIGTERM", "SIGINT"] as const)
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  });
