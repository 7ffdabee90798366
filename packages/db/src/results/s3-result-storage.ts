import {
  GetObjectCommand,
  HeadObjectCommand,
  NotFound,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import type { ResultStorage } from "./result-storage.ts";
import { resultHash, type StoredResult } from "./result-store.ts";

export interface S3Settings {
  readonly bucket: string;
  readonly region: string;
  /** Key prefix; a result is stored at `<prefix><hex of its hash>.safetensors`. */
  readonly prefix: string;
  readonly endpoint?: string;
  readonly forcePathStyle: boolean;
  /** Explicit credentials (tests); otherwise the SDK's default chain. */
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** Results in an S3-compatible bucket, through the AWS SDK. */
export class S3ResultStorage implements ResultStorage {
  readonly kind = "s3";
  readonly #client: S3Client;

  constructor(private readonly settings: S3Settings) {
    this.#client = new S3Client({
      region: settings.region,
      forcePathStyle: settings.forcePathStyle,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      ...(settings.credentials ? { credentials: settings.credentials } : {}),
      // Checksums only where S3 requires them: S3-compatible stores differ in
      // which of the newer flexible checksums they accept.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
  }

  #key(hash: string): string {
    return `${this.settings.prefix}${hash.replace(/^sha256:/, "")}.safetensors`;
  }

  async put(bytes: Uint8Array): Promise<StoredResult> {
    const hash = resultHash(bytes);
    const Key = this.#key(hash);
    const exists = await this.#client
      .send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key }))
      .then(
        () => true,
        (error: unknown) => {
          if (
            error instanceof NotFound ||
            (error as { name?: string }).name === "NotFound"
          )
            return false;
          throw error;
        },
      );
    // Content-addressed: the same key always holds the same bytes.
    if (!exists)
      await this.#client.send(
        new PutObjectCommand({
          Bucket: this.settings.bucket,
          Key,
          Body: bytes,
          ContentType: "application/octet-stream",
        }),
      );
    return { hash, byteSize: bytes.length };
  }

  async *read(hash: string): AsyncIterable<Uint8Array> {
    const object = await this.#client.send(
      new GetObjectCommand({
        Bucket: this.settings.bucket,
        Key: this.#key(hash),
      }),
    );
    if (!object.Body) throw new Error(`no stored result ${hash}`);
    for await (const chunk of object.Body as AsyncIterable<Uint8Array>)
      yield chunk;
  }

  destroy(): void {
    this.#client.destroy();
  }
}
