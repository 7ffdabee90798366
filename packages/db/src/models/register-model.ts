import type { Database } from "../create-database.ts";
import { appendEvents, VersionConflictError } from "../events/append-events.ts";
import { readStream } from "../events/read-stream.ts";
import { domainEvents, streams } from "../domain/domain-events.ts";
import { projectDomainEvents } from "../domain/project-domain-events.ts";

export interface ModelRegistration {
  readonly name: string;
  readonly hash: string;
  readonly manifest: Record<string, unknown>;
  readonly secondsPerToken: number;
  /** The tokenizer.json's hash in the result store (stored by the caller), or null. */
  readonly tokenizerHash: string | null;
}

/**
 * Registers a model a worker hosts, so the API can list it and validate graphs
 * against its manifest before queueing. Several workers serving one model
 * register it once: a registration is appended only when the model's hash or
 * tokenizer differs from its latest one.
 */
export async function registerModel(
  db: Database,
  model: ModelRegistration,
): Promise<boolean> {
  const stream = streams.model(model.name);
  for (;;) {
    const history = await readStream(db, stream);
    const latest = history.at(-1);
    const previous = latest?.payload as
      { hash?: string; tokenizerHash?: string | null } | undefined;
    if (
      previous?.hash === model.hash &&
      (previous.tokenizerHash ?? null) === model.tokenizerHash
    )
      return false;
    try {
      await appendEvents(
        db,
        [
          {
            stream,
            expectedVersion: history.length,
            events: [
              domainEvents.event(stream, "model.registered", { ...model }),
            ],
          },
        ],
        projectDomainEvents,
      );
      return true;
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
    }
  }
}
