/**
 * The web app's server: the HTTP API (src/http-api) ahead of Next.js, which
 * serves the portal's pages and Auth.js's routes. `--dev` runs Next.js in
 * development mode (compiling on request, hot reload).
 *
 *   node --import tsx server.ts [--dev]   (PORT, default 3000)
 */
import { createServer } from "node:http";
import { sendFetchResponse, toFetchRequest } from "./src/http-api/node-bridge";
import { isApiPath, serveApi } from "./src/http-api/serve-api";
import { getWebEnv } from "./src/server/env";

const dev = process.argv.includes("--dev");
// As `next start` and `next dev` do, before Next.js is loaded.
Object.assign(process.env, {
  NODE_ENV: process.env.NODE_ENV ?? (dev ? "development" : "production"),
});
const port = Number(process.env.PORT ?? 3000);

// A bad environment stops the server here, naming the variable.
try {
  getWebEnv();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

const { default: next } = await import("next");
const app = next({ dev, dir: import.meta.dirname, port });
const handleWithNext = app.getRequestHandler();
await app.prepare();

const server = createServer((req, res) => {
  const pathname = (req.url ?? "/").split("?", 1)[0]!;
  const api = isApiPath(pathname) ? serveApi(toFetchRequest(req, res)) : null;
  if (!api) {
    void handleWithNext(req, res);
    return;
  }
  api
    .then((response) => sendFetchResponse(res, response))
    .catch((error: unknown) => {
      console.error(`[api] ${req.method} ${pathname}:`, error);
      if (res.headersSent) res.destroy();
      else {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "internal server error" }));
      }
    });
});
server.listen(port, () => {
  console.log(
    `▲ Loupe web app on http://localhost:${port}${dev ? " (dev)" : ""}`,
  );
});
for (const signal of ["SIGTERM", "SIGINT"] as const)
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  });
