import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  CreateBucketCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  fetchS3ModelFolder,
  ModelFetchError,
  type S3Connection,
} from "./fetch-s3-model-folder.ts";

// Model files fetched over the S3 protocol from s3rver (an S3-compatible server).
const dir = mkdtempSync(path.join(os.tmpdir(), "loupe-s3-models-"));
let server: S3rver;
let connection: S3Connection;
const files: Record<string, Uint8Array> = {
  "models/big/model.onnx": new Uint8Array(3 * 1024 * 1024).map(
    (_, i) => i % 251,
  ),
  "models/big/model.onnx.data": new Uint8Array(1024 * 1024 + 5).fill(7),
  "models/big/model.manifest.json": new TextEncoder().encode('{"manifest":{}}'),
  "models/big/nested/other.bin": new Uint8Array(10),
  "models/other/model.onnx": new Uint8Array(10),
};

beforeAll(async () => {
  server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory: path.join(dir, "server"),
  });
  const { port } = (await server.run()) as { port: number };
  connection = {
    region: "us-east-1",
    endpoint: `http://127.0.0.1:${port}`,
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  };
  const client = new S3Client(connection);
  await client.send(new CreateBucketCommand({ Bucket: "loupe-models" }));
  for (const [Key, Body] of Object.entries(files))
    await client.send(
      new PutObjectCommand({ Bucket: "loupe-models", Key, Body }),
    );
  client.destroy();
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

it("fetches the model's folder (not its subfolders or other folders) to disk, reporting bytes fetched", async () => {
  const progress: [number, number][] = [];
  const cache = path.join(dir, "cache");
  const onnx = await fetchS3ModelFolder(
    connection,
    "s3://loupe-models/models/big/model.onnx",
    cache,
    (loaded, total) => progress.push([loaded, total]),
  );
  expect(path.basename(onnx)).toBe("model.onnx");
  const folder = path.dirname(onnx);
  for (const name of ["model.onnx", "model.onnx.data", "model.manifest.json"])
    expect(
      Buffer.compare(
        readFileSync(path.join(folder, name)),
        Buffer.from(files[`models/big/${name}`]!),
      ),
      name,
    ).toBe(0);
  const total = 3 * 1024 * 1024 + 1024 * 1024 + 5 + 15;
  expect(progress[0]).toEqual([0, total]);
  expect(progress.at(-1)).toEqual([total, total]);
  expect(
    progress.every(
      ([l, t], i) => t === total && (i === 0 || l >= progress[i - 1]![0]),
    ),
  ).toBe(true);

  // Fetched again: the files already there are kept.
  const again: [number, number][] = [];
  await fetchS3ModelFolder(
    connection,
    "s3://loupe-models/models/big/model.onnx",
    cache,
    (l, t) => again.push([l, t]),
  );
  expect(again.length).toBeLessThanOrEqual(1 + 3);
});

it("names the URL when the object does not exist or the URL is not one", async () => {
  await expect(
    fetchS3ModelFolder(
      connection,
      "s3://loupe-models/models/big/missing.onnx",
      path.join(dir, "cache"),
    ),
  ).rejects.toThrow(
    new ModelFetchError(
      "model URL s3://loupe-models/models/big/missing.onnx: no such object",
    ),
  );
  await expect(
    fetchS3ModelFolder(connection, "https://x/model.onnx", dir),
  ).rejects.toThrow(/expected s3:\/\/<bucket>\/<folder>\/<model>.onnx/);
});
