import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { connect, createServer, type AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import path from "node:path";
import { afterEach, expect, inject, it } from "vitest";

// server.ts itself (Next.js in development mode: no build needed), started
// as `npm start` starts it: it listens on loopback unless LOUPE_WEB_HOST says
// otherwise, as the dev stack's PostgreSQL and Temporal do (issue 21, finding 7).
const webRoot = path.resolve(import.meta.dirname, "..", "..");
let child: ChildProcess | undefined;
// Next.js's development server holds a lock until it exits: wait for it.
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child!.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
  child = undefined;
});

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });

/** Starts server.ts with `env`; resolves with its output once it listens (or exits). */
async function startServer(env: Record<string, string>) {
  const port = await freePort();
  child = spawn(process.execPath, ["--import", "tsx", "server.ts", "--dev"], {
    cwd: webRoot,
    env: {
      ...process.env,
      NEXT_TELEMETRY_DISABLED: "1",
      DATABASE_URL: inject("databaseUrl"),
      TEMPORAL_ADDRESS: inject("temporalAddress"),
      AUTH_SECRET: randomBytes(32).toString("hex"),
      PORT: String(port),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  await new Promise<void>((resolve) => {
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Loupe web app on")) resolve();
    };
    child!.stdout!.on("data", read);
    child!.stderr!.on("data", read);
    child!.once("exit", () => resolve());
  });
  return { port, output };
}

/** Whether a TCP connection to host:port is accepted. */
const accepts = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

/** This machine's first address that is not loopback, if it has one. */
const externalAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === "IPv4" && !a.internal)?.address;

it("listens on 127.0.0.1 by default, not on the machine's other addresses", async () => {
  const { port, output } = await startServer({});
  expect(await accepts("127.0.0.1", port)).toBe(true);
  if (externalAddress) expect(await accepts(externalAddress, port)).toBe(false);
  expect(output).toContain(`Loupe web app on http://127.0.0.1:${port} (dev)`);
});

it("listens where LOUPE_WEB_HOST says (0.0.0.0 in containers)", async () => {
  const { port } = await startServer({ LOUPE_WEB_HOST: "0.0.0.0" });
  expect(await accepts("127.0.0.1", port)).toBe(true);
  if (externalAddress) expect(await accepts(externalAddress, port)).toBe(true);
});

it("refuses to start on a LOUPE_WEB_HOST that is no host, naming it", async () => {
  const { output } = await startServer({ LOUPE_WEB_HOST: "not a host" });
  expect(output).toContain(
    "LOUPE_WEB_HOST: expected a host name or IP address",
  );
});
