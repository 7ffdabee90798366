import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer, type AddressInfo } from "node:net";
import path from "node:path";
import { expect, test } from "@playwright/test";

// Issue 21, finding 10a, with the production build: the web app whose
// PostgreSQL cannot be reached answers its pages and its API with 503 and
// Retry-After, not 500. A second server.ts is started for this, pointed at a
// port where no database listens (the shared stack's PostgreSQL stays up).
const webRoot = path.resolve(import.meta.dirname, "..");
let server: ChildProcess | undefined;
let base = "";

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });

test.beforeAll(async () => {
  const [port, closed] = [await freePort(), await freePort()];
  server = spawn(process.execPath, ["--import", "tsx", "server.ts"], {
    cwd: webRoot,
    env: {
      ...process.env,
      NEXT_TELEMETRY_DISABLED: "1",
      PORT: String(port),
      DATABASE_URL: `postgresql://loupe:loupe@127.0.0.1:${closed}/loupe`,
      TEMPORAL_ADDRESS: "127.0.0.1:1",
      AUTH_SECRET: randomBytes(32).toString("hex"),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  await new Promise<void>((resolve, reject) => {
    server!.stdout!.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("Loupe web app on")) resolve();
    });
    server!.once("exit", (code) =>
      reject(new Error(`server.ts exited ${code}`)),
    );
  });
  base = `http://127.0.0.1:${port}`;
});

test.afterAll(async () => {
  if (!server || server.exitCode !== null) return;
  const exited = new Promise((resolve) => server!.once("exit", resolve));
  server.kill("SIGTERM");
  await exited;
});

test("pages and the API answer 503 with Retry-After while PostgreSQL is unreachable", async ({
  request,
}) => {
  for (const url of [
    "/gallery",
    "/models",
    "/api/trpc/models.list",
    "/api/trpc/experiments.gallery?input=%7B%7D",
  ]) {
    const response = await request.get(`${base}${url}`, { maxRedirects: 0 });
    expect(response.status(), url).toBe(503);
    expect(response.headers()["retry-after"], url).toBe("5");
  }
});
