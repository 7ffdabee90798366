import type { Database } from "../create-database.ts";
import { appendEvents, VersionConflictError } from "../events/append-events.ts";
import { readStream } from "../events/read-stream.ts";
import { domainEvents, streams } from "../domain/domain-events.ts";
import { projectDomainEvents } from "../domain/project-domain-events.ts";

export interface VersionToCommit {
  readonly experimentId: string;
  /** The graph version this one is based on (0 for an experiment's first). */
  readonly expectedVersion: number;
  readonly authorId: string;
  readonly message: string;
  readonly model: string;
  readonly graphHash: string;
  readonly graph: Record<string, unknown>;
}

/**
 * Commits a new immutable graph version, on top of `expectedVersion`. Two
 * authors committing on the same version: the first wins, every other gets
 * VersionConflictError naming the version they expected and the one the
 * experiment is at now. (Stars and visibility changes share the stream but not
 * its graph versions, so they never conflict with a commit; the stream version
 * only guards the append against a concurrent writer, after which the graph
 * version is checked again.)
 */
export async function commitExperimentVersion(
  db: Database,
  v: VersionToCommit,
): Promise<{ version: number }> {
  const stream = streams.experiment(v.experimentId);
  for (;;) {
    const history = await readStream(db, stream);
    const current = history.filter(
      (e) => e.type === "experiment.version_committed",
    ).length;
    if (current !== v.expectedVersion)
      throw new VersionConflictError(stream, v.expectedVersion, current);
    const version = current + 1;
    try {
      await appendEvents(
        db,
        [
          {
            stream,
            expectedVersion: history.length,
            events: [
              domainEvents.event(stream, "experiment.version_committed", {
                experimentId: v.experimentId,
                version,
                authorId: v.authorId,
                message: v.message,
                model: v.model,
                graphHash: v.graphHash,
                graph: v.graph,
              }),
            ],
          },
        ],
        projectDomainEvents,
      );
      return { version };
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
    }
  }
}
