import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, stat } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { Transform, type Readable } from "node:stream";
import {
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";

/** How to reach the S3-compatible store (the bucket comes with each URL). */
export interface S3Connection {
  readonly region: string;
  readonly endpoint?: string;
  readonly forcePathStyle: boolean;
  /** Explicit credentials (tests); otherwise the SDK's default chain. */
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** Raised when a model's files cannot be listed or fetched from S3; names the URL. */
export class ModelFetchError extends Error {
  override readonly name = "ModelFetchError";
  readonly code = "MODEL_FETCH";
}

/**
 * Fetches an imported model from the S3-compatible store: every object in the
 * folder of `url` (`s3://bucket/models/gpt2/model.onnx` fetches
 * `models/gpt2/*`: the .onnx, its manifest, tokenizer and external data files;
 * keep one model per folder) into a folder of `cacheDir` named after the URL,
 * streamed to disk, never held in memory. A file already there with the
 * object's size is kept. `onProgress` hears the bytes fetched (or kept) of
 * the folder's total. Returns the local path of the .onnx file.
 */
export async function fetchS3ModelFolder(
  connection: S3Connection,
  url: string,
  cacheDir: string,
  onProgress: (loadedBytes: number, totalBytes: number) => void = () => {},
): Promise<string> {
  const match = /^s3:\/\/([^/]+)\/(.+\.onnx)$/.exec(url);
  if (!match)
    throw new ModelFetchError(
      `model URL ${url}: expected s3://<bucket>/<folder>/<model>.onnx`,
    );
  const [, bucket, key] = match as unknown as [string, string, string];
  const folder = key.includes("/")
    ? key.slice(0, key.lastIndexOf("/") + 1)
    : "";
  const client = new S3Client({
    region: connection.region,
    forcePathStyle: connection.forcePathStyle,
    ...(connection.endpoint ? { endpoint: connection.endpoint } : {}),
    ...(connection.credentials ? { credentials: connection.credentials } : {}),
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  try {
    const objects = await listFolder(client, bucket, folder, url);
    if (!objects.some((o) => o.key === key))
      throw new ModelFetchError(`model URL ${url}: no such object`);
    const total = objects.reduce((n, o) => n + o.size, 0);
    const dir = path.join(
      cacheDir,
      createHash("sha256").update(url).digest("hex").slice(0, 16),
    );
    await mkdir(dir, { recursive: true });
    let loaded = 0;
    onProgress(0, total);
    for (const object of objects) {
      const file = path.join(dir, object.key.slice(folder.length));
      const kept = await stat(file).then(
        (s) => s.size === object.size,
        () => false,
      );
      if (!kept) {
        const response = await client
          .send(new GetObjectCommand({ Bucket: bucket, Key: object.key }))
          .catch((error: unknown) => {
            throw new ModelFetchError(
              `cannot fetch s3://${bucket}/${object.key}: ${(error as Error).message}`,
              { cause: error },
            );
          });
        const partial = `${file}.part`;
        const counted = loaded;
        let received = 0;
        await pipeline(
          response.Body as Readable,
          new Transform({
            transform(chunk: Buffer, _encoding, done) {
              received += chunk.length;
              onProgress(counted + received, total);
              done(null, chunk);
            },
          }),
          createWriteStream(partial),
        );
        await rename(partial, file);
      }
      loaded += object.size;
      onProgress(loaded, total);
    }
    return path.join(dir, key.slice(folder.length));
  } finally {
    client.destroy();
  }
}

/** The objects directly in `folder` (not in its subfolders), every page. */
async function listFolder(
  client: S3Client,
  bucket: string,
  folder: string,
  url: string,
): Promise<{ key: string; size: number }[]> {
  const out: { key: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const page = await client
      .send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: folder,
          Delimiter: "/",
          ...(token ? { ContinuationToken: token } : {}),
        }),
      )
      .catch((error: unknown) => {
        throw new ModelFetchError(
          `cannot list the folder of ${url}: ${(error as Error).message}`,
          { cause: error },
        );
      });
    for (const o of page.Contents ?? [])
      if (o.Key && !o.Key.endsWith("/"))
        out.push({ key: o.Key, size: o.Size ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/**
 * The S3 connection from env, as for results (LOUPE_S3_ENDPOINT,
 * LOUPE_S3_REGION default us-east-1, LOUPE_S3_FORCE_PATH_STYLE; credentials
 * from the AWS SDK's chain), without requiring LOUPE_RESULT_STORE=s3: a model
 * URL names its own bucket.
 */
export function s3ConnectionSettings(env: {
  readonly LOUPE_S3_ENDPOINT?: string | undefined;
  readonly LOUPE_S3_REGION?: string | undefined;
  readonly LOUPE_S3_FORCE_PATH_STYLE?: string | undefined;
}): S3Connection {
  return {
    region: env.LOUPE_S3_REGION ?? "us-east-1",
    forcePathStyle: ["1", "true"].includes(env.LOUPE_S3_FORCE_PATH_STYLE ?? ""),
    ...(env.LOUPE_S3_ENDPOINT ? { endpoint: env.LOUPE_S3_ENDPOINT } : {}),
  };
}
