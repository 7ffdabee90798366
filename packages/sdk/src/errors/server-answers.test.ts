import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { TRPCClientError } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, SDK_VERSION_HEADER } from "../client/api-client.ts";
import { SDK_VERSION } from "../version.ts";
import {
  AmbiguousIdError,
  NotLoupeServerError,
  SdkVersionUnsupportedError,
  UnauthorizedError,
} from "./loupe-client-error.ts";
import { toClientError } from "./to-client-error.ts";

// What the SDK makes of what a server answers: an HTTP server that answers
// every call with the error body the API sends (the API's own answers are
// tested in packages/api, and against a whole stack in e2e/), and one that
// answers every path with an HTML page (the wrong URL).
let api: Server;
let html: Server;
let apiUrl: string;
let htmlUrl: string;
const seenVersions: (string | undefined)[] = [];
/** The error the API server answers with next (`data` as the API's errorFormatter makes it). */
let answer: { status: number; message: string; data: object };

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  api = createServer((req, res) => {
    seenVersions.push(req.headers[SDK_VERSION_HEADER] as string | undefined);
    res.writeHead(answer.status, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        error: { message: answer.message, code: -32600, data: answer.data },
      }),
    );
  });
  html = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end("<!DOCTYPE html><html><body>a portal page</body></html>");
  });
  apiUrl = await listen(api);
  htmlUrl = await listen(html);
});

afterAll(() => {
  api.close();
  html.close();
});

const failure = (call: Promise<unknown>) =>
  call.then(
    () => null,
    (e: unknown) => e as Error,
  );

const listRuns = (client: ApiClient) =>
  failure(client.call("listing runs", (t) => t.runs.list.query({})));

/** Runs the real `loupe` bin against `url` with no key and no config file. */
function cli(
  url: string,
  ...args: string[]
): Promise<{ code: number; stderr: string }> {
  const bin = path.resolve(import.meta.dirname, "../../bin/loupe.mjs");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: {
        ...process.env,
        LOUPE_URL: url,
        LOUPE_API_KEY: "",
        LOUPE_CONFIG: path.join(import.meta.dirname, "no-such-config.json"),
      },
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stderr }));
  });
}

describe("errors the server's answers become", () => {
  const unauthorized = {
    status: 401,
    message: "sign in first",
    data: { code: "UNAUTHORIZED", httpStatus: 401 },
  };

  it("no key set: says that no key is set and how to set one", async () => {
    answer = unauthorized;
    const error = await listRuns(
      new ApiClient({ url: apiUrl, apiKey: undefined }),
    );
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect(error).toMatchObject({ code: "UNAUTHORIZED" });
    const message = `no API key is set, and listing runs needs one: create a key on the portal's API keys page (${apiUrl}/keys), then run \`loupe login --url ${apiUrl} --key <your key>\` or set LOUPE_API_KEY=<your key>`;
    expect(error!.message).toBe(message);
    // A key that was set but refused is another matter.
    const refused = await listRuns(
      new ApiClient({ url: apiUrl, apiKey: "loupe_00000000_x" }),
    );
    expect(refused!.message).toBe(
      "the server did not accept the API key while listing runs (sign in first): create an API key on the portal's API keys page (/keys) and run `loupe login`, or set LOUPE_API_KEY",
    );
    const fromCli = await cli(apiUrl, "runs", "ls");
    expect(fromCli).toEqual({ code: 1, stderr: `error: ${message}\n` });
  });

  it("an HTML answer: the URL is not a Loupe server", async () => {
    const client = new ApiClient({ url: htmlUrl, apiKey: "loupe_0_x" });
    const message = `${htmlUrl} is not a Loupe server: while listing runs, it answered with a page (HTTP 200 with text/html; charset=utf-8), not Loupe's API. Give the Loupe server's URL (the portal's address, e.g. http://localhost:3000) in LOUPE_URL or with \`loupe login --url <url> --key <your key>\``;
    const error = await listRuns(client);
    expect(error).toBeInstanceOf(NotLoupeServerError);
    expect(error).toMatchObject({
      code: "NOT_A_LOUPE_SERVER",
      url: htmlUrl,
      status: 200,
      message,
    });
    const download = await failure(
      client.download("/api/runs/r/result", "downloading the result of run r"),
    );
    expect(download).toBeInstanceOf(NotLoupeServerError);
    expect(download!.message).toContain(
      `${htmlUrl} is not a Loupe server: while downloading the result of run r, `,
    );
    const fromCli = await cli(htmlUrl, "runs", "ls");
    expect(fromCli).toEqual({ code: 1, stderr: `error: ${message}\n` });
  });

  it("sends the SDK's version with every request; a server that cannot serve it answers with both versions", async () => {
    const message =
      "this Loupe server (version 1.0.0) cannot serve @loupe/sdk 0.1.0: it serves SDK versions 1.x; install one with `npm install @loupe/sdk@1`";
    answer = {
      status: 412,
      message,
      data: {
        code: "PRECONDITION_FAILED",
        httpStatus: 412,
        loupe: {
          code: "SDK_VERSION_UNSUPPORTED",
          sdkVersion: "0.1.0",
          serverVersion: "1.0.0",
        },
      },
    };
    seenVersions.length = 0;
    const client = new ApiClient({ url: apiUrl, apiKey: "loupe_0_x" });
    const error = await listRuns(client);
    await failure(client.download("/api/runs/r/result", "downloading"));
    expect(seenVersions).toEqual([SDK_VERSION, SDK_VERSION]);
    expect(error).toBeInstanceOf(SdkVersionUnsupportedError);
    expect(error).toMatchObject({
      code: "SDK_VERSION_UNSUPPORTED",
      sdkVersion: "0.1.0",
      serverVersion: "1.0.0",
      message,
    });
  });
});

it("an ambiguous short id becomes AmbiguousIdError listing the matches the server sent", () => {
  const message =
    "the short id a1aaaa matches 2 runs: a1aaaa01-x, a1aaaa02-y; give more of the id";
  const error = toClientError(
    new TRPCClientError(message, {
      result: {
        error: {
          message,
          code: -32600,
          data: {
            code: "BAD_REQUEST",
            httpStatus: 400,
            loupe: {
              code: "AMBIGUOUS_ID",
              prefix: "a1aaaa",
              matches: ["a1aaaa01-x", "a1aaaa02-y"],
            },
          },
        },
      },
    }),
    "http://localhost:3000",
    "finding run a1aaaa",
  );
  expect(error).toBeInstanceOf(AmbiguousIdError);
  expect(error).toMatchObject({
    code: "AMBIGUOUS_ID",
    prefix: "a1aaaa",
    matches: ["a1aaaa01-x", "a1aaaa02-y"],
    message,
  });
});
