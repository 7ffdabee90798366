import type { Database } from "../create-database.ts";
import {
  putResult,
  readResultChunks,
  resultHash,
  type StoredResult,
} from "./result-store.ts";
import { S3ResultStorage, type S3Settings } from "./s3-result-storage.ts";

/**
 * Where result bytes live: PostgreSQL (chunked bytea, the default) or an
 * S3-compatible object store. Either way results are content-addressed (the
 * SHA-256 of their bytes), stored once, and read as a stream of chunks; runs
 * refer to them by hash in their events, and downloads are authorised by run.
 */
export interface ResultStorage {
  readonly kind: "postgres" | "s3";
  /** Stores bytes under their hash; storing the same bytes again changes nothing. */
  put(bytes: Uint8Array): Promise<StoredResult>;
  /** The bytes of a stored result, chunk by chunk. */
  read(hash: string): AsyncIterable<Uint8Array>;
}

export function postgresResultStorage(db: Database): ResultStorage {
  return {
    kind: "postgres",
    put: (bytes) => putResult(db, bytes),
    read: (hash) => readResultChunks(db, hash),
  };
}

/**
 * The variables resultStorageSettings and s3ConnectionSettings read: the
 * apps declare them in their env schemas and derive the settings there.
 */
export const RESULT_STORE_VARIABLES = [
  "LOUPE_RESULT_STORE",
  "LOUPE_S3_BUCKET",
  "LOUPE_S3_ENDPOINT",
  "LOUPE_S3_REGION",
  "LOUPE_S3_PREFIX",
  "LOUPE_S3_FORCE_PATH_STYLE",
] as const;

/** The result store's variables, as an env holds them. */
export type ResultStoreEnv = Readonly<
  Partial<Record<(typeof RESULT_STORE_VARIABLES)[number], string>>
>;

/** Result storage as the environment chooses it (see resultStorageSettings). */
export type ResultStorageSettings =
  { readonly kind: "postgres" } | ({ readonly kind: "s3" } & S3Settings);

/**
 * Reads the result store's settings from env: LOUPE_RESULT_STORE=postgres
 * (default) or s3, with LOUPE_S3_BUCKET (required), LOUPE_S3_ENDPOINT (for
 * S3-compatible stores such as MinIO), LOUPE_S3_REGION (default us-east-1),
 * LOUPE_S3_PREFIX (default results/) and LOUPE_S3_FORCE_PATH_STYLE; the
 * credentials come from the AWS SDK's usual chain (AWS_ACCESS_KEY_ID, ...).
 */
export function resultStorageSettings(
  env: ResultStoreEnv,
): ResultStorageSettings {
  const kind = env.LOUPE_RESULT_STORE ?? "postgres";
  if (kind === "postgres") return { kind };
  if (kind !== "s3")
    throw new Error(
      `LOUPE_RESULT_STORE: expected "postgres" or "s3", got "${kind}"`,
    );
  const bucket = env.LOUPE_S3_BUCKET;
  if (!bucket)
    throw new Error("LOUPE_S3_BUCKET: required when LOUPE_RESULT_STORE=s3");
  return {
    kind,
    bucket,
    region: env.LOUPE_S3_REGION ?? "us-east-1",
    prefix: env.LOUPE_S3_PREFIX ?? "results/",
    forcePathStyle: ["1", "true"].includes(env.LOUPE_S3_FORCE_PATH_STYLE ?? ""),
    ...(env.LOUPE_S3_ENDPOINT ? { endpoint: env.LOUPE_S3_ENDPOINT } : {}),
  };
}

export function createResultStorage(
  db: Database,
  settings: ResultStorageSettings,
): ResultStorage {
  return settings.kind === "postgres"
    ? postgresResultStorage(db)
    : new S3ResultStorage(settings);
}

export { resultHash };
