import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { afterAll, beforeAll, expect, it } from "vitest";
import { resultStorageSettings } from "./result-storage.ts";
import { S3ResultStorage } from "./s3-result-storage.ts";

// A real S3 protocol round trip: s3rver is an S3-compatible server (HTTP, the
// S3 REST API, objects on disk) that the AWS SDK talks to as it would to S3.
const dir = mkdtempSync(path.join(os.tmpdir(), "loupe-s3-"));
let server: S3rver;
let endpoint: string;
const credentials = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

beforeAll(async () => {
  server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory: dir,
  });
  const { port } = (await server.run()) as { port: number };
  endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    region: "us-east-1",
    endpoint,
    forcePathStyle: true,
    credentials,
  });
  await client.send(new CreateBucketCommand({ Bucket: "loupe-results" }));
  client.destroy();
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

it("stores a result once under its hash and streams the same bytes back", async () => {
  const settings = resultStorageSettings({
    LOUPE_RESULT_STORE: "s3",
    LOUPE_S3_BUCKET: "loupe-results",
    LOUPE_S3_ENDPOINT: endpoint,
    LOUPE_S3_FORCE_PATH_STYLE: "true",
  });
  expect(settings).toMatchObject({
    kind: "s3",
    bucket: "loupe-results",
    prefix: "results/",
  });
  const store = new S3ResultStorage({
    ...(settings as Extract<typeof settings, { kind: "s3" }>),
    credentials,
  });
  const bytes = new Uint8Array(3 * 1024 * 1024 + 17).map(
    (_, i) => (i * 31) % 251,
  );
  const first = await store.put(bytes);
  const again = await store.put(bytes);
  expect(again).toEqual(first);
  expect(first.byteSize).toBe(bytes.length);
  const parts: Uint8Array[] = [];
  for await (const part of store.read(first.hash)) parts.push(part);
  expect(Buffer.concat(parts).equals(Buffer.from(bytes))).toBe(true);
  await expect(async () => {
    for await (const _ of store.read("sha256:00")) void _;
  }).rejects.toThrow();
  store.destroy();
});

it("names the setting that is wrong", () => {
  expect(() => resultStorageSettings({ LOUPE_RESULT_STORE: "disk" })).toThrow(
    /LOUPE_RESULT_STORE/,
  );
  expect(() => resultStorageSettings({ LOUPE_RESULT_STORE: "s3" })).toThrow(
    /LOUPE_S3_BUCKET/,
  );
  expect(resultStorageSettings({})).toEqual({ kind: "postgres" });
});
