/**
 * The web app's server: the HTTP API (src/http-api) ahead of Next.js, which
 * serves the portal's pages and Auth.js's routes. `--dev` runs Next.js in
 * development mode (compiling on request, hot reload).
 *
 *   node --import tsx server.ts [--dev]   (PORT, default 3000)
 */
import { createServer } from "node:http";
import { sendFetchResponse, toFetchRequest } from "./src/http-api/node-bridge";
import { apiRoute } from "./src/http-api/serve-api";
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
  let answer: Promise<Response> | null;
  try {
    const endpoint = apiRoute(req.method ?? "GET", pathname);
    // Not the API's: Next.js serves it (the body untouched).
    if (!endpoint) {
      void handleWithNext(req, res);
      return;
    }
    answer = endpoint(toFetchRequest(req, res));
  } catch (error) {
    // A path whose escapes do not decode, a Host header that is no host.
    res.writeHead(400, { "content-type": "application/json" });
    res.end(
      JSON.stringify({ error: `bad request: ${(error as Error).message}` }),
    );
    return;
  }
  answer
    .then((response) => sendFetchResponse(req, res, response))
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
