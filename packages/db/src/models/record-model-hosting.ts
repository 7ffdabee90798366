import type { z } from "zod";
import type { Database } from "../create-database.ts";
import {
  domainEvents,
  streams,
  type modelFailed,
  type modelLoading,
  type modelOnline,
  type modelRefused,
  type modelUnloaded,
} from "../domain/domain-events.ts";
import { appendModelEvent } from "./append-model-event.ts";

type Report<T extends string, S extends z.ZodType> = {
  readonly type: T;
  readonly payload: z.input<S>;
};

/** What a worker reports about a model it hosts: a hosting event's type and payload. */
export type ModelHostingReport =
  | Report<"model.loading", typeof modelLoading.schema>
  | Report<"model.online", typeof modelOnline.schema>
  | Report<"model.refused", typeof modelRefused.schema>
  | Report<"model.failed", typeof modelFailed.schema>
  | Report<"model.unloaded", typeof modelUnloaded.schema>;

/**
 * Appends a worker's report on a model to the model's stream (a concurrent
 * writer of the stream is waited out, never an error). Whether the report
 * changes the model's state is the projection's rule (see modelHostingProjection).
 */
export async function recordModelHosting(
  db: Database,
  report: ModelHostingReport,
): Promise<void> {
  const { name } = report.payload;
  await appendModelEvent(db, name, () =>
    domainEvents.event(streams.model(name), report.type, report.payload),
  );
}
