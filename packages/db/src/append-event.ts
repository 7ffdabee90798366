import { Prisma } from "./generated/prisma/client.ts";
import type { Database } from "./create-database.ts";

/** An event to append: its stream, type and JSON payload (already validated). */
export interface NewEvent {
  readonly stream: string;
  readonly type: string;
  readonly payload: Prisma.InputJsonObject;
  readonly metadata?: Prisma.InputJsonObject;
}

/** An event as stored, with its place in its stream and in the global log. */
export interface StoredEvent {
  readonly position: bigint;
  readonly stream: string;
  readonly version: number;
  readonly type: string;
  readonly payload: unknown;
  readonly metadata: unknown;
  readonly time: Date;
}

/** Raised when another writer appended to the stream first. */
export class StreamVersionConflictError extends Error {
  override readonly name = "StreamVersionConflictError";
  readonly code = "STREAM_VERSION_CONFLICT";
  constructor(
    readonly stream: string,
    readonly expectedVersion: number,
    options?: { cause?: unknown },
  ) {
    super(
      `stream ${stream}: expected version ${expectedVersion}, but another event was appended first`,
      options,
    );
  }
}

/**
 * Appends one event at the end of its stream: version = last version + 1.
 * With `expectedVersion`, the append succeeds only if the stream is exactly at
 * that version; the unique (stream, version) key makes concurrent appends safe
 * either way: the loser gets StreamVersionConflictError.
 */
export async function appendEvent(
  db: Database,
  event: NewEvent,
  expectedVersion?: number,
): Promise<StoredEvent> {
  const last = await db.event.aggregate({
    where: { stream: event.stream },
    _max: { version: true },
  });
  const current = last._max.version ?? 0;
  if (expectedVersion !== undefined && expectedVersion !== current) {
    throw new StreamVersionConflictError(event.stream, expectedVersion);
  }
  try {
    return await db.event.create({
      data: {
        stream: event.stream,
        version: current + 1,
        type: event.type,
        payload: event.payload,
        metadata: event.metadata ?? {},
      },
    });
  } catch (error) {
    if (
      error instanceof Prisma.PrismaClientKnownRequestError &&
      error.code === "P2002"
    ) {
      throw new StreamVersionConflictError(
        event.stream,
        expectedVersion ?? current,
        { cause: error },
      );
    }
    throw error;
  }
}
