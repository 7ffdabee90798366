import type { z } from "zod";
import type { Prisma } from "../generated/prisma/client.ts";
import type { NewEvent, StoredEvent } from "./append-events.ts";

/**
 * One event type: its name, the current version of its payload schema, the zod
 * schema of that version, and upcasters from each older version's payload to
 * the next (version n -> n + 1), so old events read as the current shape.
 */
export interface EventDefinition<T extends string, S extends z.ZodType> {
  readonly type: T;
  readonly version: number;
  readonly schema: S;
  readonly upcasters?: Readonly<Record<number, (payload: unknown) => unknown>>;
}

/** Declares an event type (see EventDefinition). */
export function defineEvent<T extends string, S extends z.ZodType>(
  definition: EventDefinition<T, S>,
): EventDefinition<T, S> {
  return definition;
}

/** Raised when a stored event cannot be read as its type's current schema. */
export class EventPayloadError extends Error {
  override readonly name = "EventPayloadError";
  readonly code = "EVENT_PAYLOAD";
}

/** A stored event with its payload parsed into the current schema of its type. */
export type ParsedEvent<D extends EventDefinition<string, z.ZodType>> = {
  [K in D as K["type"]]: Omit<StoredEvent, "payload" | "type"> & {
    readonly type: K["type"];
    readonly payload: z.infer<K["schema"]>;
  };
}[D["type"]];

/**
 * The event types of a domain. Writing stamps each payload with its schema
 * version (in metadata); reading upcasts old payloads and zod-parses them, so a
 * projection only ever sees the current, validated shape.
 */
export class EventCatalog<D extends EventDefinition<string, z.ZodType>> {
  readonly #byType: Map<string, D>;

  constructor(definitions: readonly D[]) {
    this.#byType = new Map(definitions.map((d) => [d.type, d]));
  }

  has(type: string): boolean {
    return this.#byType.has(type);
  }

  /** A new event of `type`, validated now and stamped with its schema version. */
  event<K extends D["type"]>(
    stream: string,
    type: K,
    payload: z.input<Extract<D, { type: K }>["schema"]>,
    metadata: Prisma.InputJsonObject = {},
  ): NewEvent {
    const definition = this.#byType.get(type)!;
    const parsed = definition.schema.safeParse(payload);
    if (!parsed.success)
      throw new EventPayloadError(
        `event ${type}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "payload"}: ${i.message}`).join("; ")}`,
      );
    return {
      stream,
      type,
      payload: parsed.data as Prisma.InputJsonObject,
      metadata: { ...metadata, schema: definition.version },
    };
  }

  /** Reads a stored event as its type's current schema (upcasting older versions). */
  parse(event: StoredEvent): ParsedEvent<D> {
    const definition = this.#byType.get(event.type);
    if (!definition)
      throw new EventPayloadError(
        `event ${event.position} (${event.stream} v${event.version}): unknown type "${event.type}"`,
      );
    const meta = (event.metadata ?? {}) as { schema?: unknown };
    let version = typeof meta.schema === "number" ? meta.schema : 1;
    let payload = event.payload;
    while (version < definition.version) {
      const upcast = definition.upcasters?.[version];
      if (!upcast)
        throw new EventPayloadError(
          `event ${event.position} (${event.type}): no upcaster from schema version ${version}`,
        );
      payload = upcast(payload);
      version++;
    }
    if (version > definition.version)
      throw new EventPayloadError(
        `event ${event.position} (${event.type}): schema version ${version} is newer than this code's ${definition.version}`,
      );
    const parsed = definition.schema.safeParse(payload);
    if (!parsed.success)
      throw new EventPayloadError(
        `event ${event.position} (${event.type} v${version}): ${parsed.error.issues.map((i) => `${i.path.join(".") || "payload"}: ${i.message}`).join("; ")}`,
      );
    return { ...event, payload: parsed.data } as unknown as ParsedEvent<D>;
  }
}
