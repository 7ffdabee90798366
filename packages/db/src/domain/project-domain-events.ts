import type { StoredEvent, Transaction } from "../events/append-events.ts";
import type { RawTransaction } from "../sql-transaction.ts";
import { domainEvents } from "./domain-events.ts";
import { accountsProjection } from "./projections/accounts.ts";
import { apiKeysProjection } from "./projections/api-keys.ts";
import { experimentStarsProjection } from "./projections/experiment-stars.ts";
import { experimentVersionsProjection } from "./projections/experiment-versions.ts";
import { experimentsProjection } from "./projections/experiments.ts";
import { modelHostingProjection } from "./projections/model-hosting.ts";
import { modelsProjection } from "./projections/models.ts";
import {
  RUN_PATH_EVENTS,
  type AppliedEvent,
  type DomainEventType,
  type Projection,
} from "./projections/projection.ts";
import { quotaUsageProjection } from "./projections/quota-usage.ts";
import { quotasProjection } from "./projections/quotas.ts";
import { runsProjection } from "./projections/runs.ts";

/**
 * The read models each event type changes, in the order they apply it:
 * experiment_stars before experiments (which counts the stars),
 * experiment_versions before experiments (which names the latest). Every
 * type has its entry, so a new event type does not compile until it is
 * routed here (to none, when only the log keeps it), and a projection that
 * does not read a type cannot be routed it.
 */
const PROJECTIONS: {
  readonly [K in DomainEventType]: readonly Projection<K>[];
} = {
  "account.created": [accountsProjection],
  "account.disabled": [accountsProjection],
  "account.enabled": [accountsProjection],
  // Its effects are operational state (sessions, links, the credential)
  // and the api_key.revoked events beside it.
  "account.password_reset": [],
  "application.submitted": [accountsProjection],
  "application.approved": [accountsProjection],
  "application.rejected": [accountsProjection],
  "quota.granted": [quotasProjection],
  "api_key.created": [apiKeysProjection],
  "api_key.revoked": [apiKeysProjection],
  "experiment.created": [experimentsProjection],
  "experiment.described": [experimentsProjection],
  "experiment.version_committed": [
    experimentVersionsProjection,
    experimentsProjection,
  ],
  "experiment.visibility_changed": [experimentsProjection],
  "experiment.starred": [experimentStarsProjection, experimentsProjection],
  "experiment.unstarred": [experimentStarsProjection, experimentsProjection],
  "run.requested": [runsProjection],
  "quota.reserved": [quotaUsageProjection, runsProjection],
  "run.queued": [runsProjection],
  "run.started": [runsProjection],
  "run.tokens": [runsProjection],
  "run.completed": [runsProjection],
  "run.failed": [runsProjection],
  "run.cancelled": [runsProjection],
  "quota.settled": [quotaUsageProjection],
  "model.registered": [modelsProjection],
  "model.host_requested": [modelHostingProjection],
  "model.loading": [modelHostingProjection],
  "model.online": [modelHostingProjection],
  "model.refused": [modelHostingProjection],
  "model.failed": [modelHostingProjection],
  "model.unhosted": [modelHostingProjection],
  "model.unloaded": [],
};

const RUN_PATH = new Set<DomainEventType>(RUN_PATH_EVENTS);

/** The events of a run's life after its request, which a batch appends for many runs at once. */
const RUN_STEPS = new Set<DomainEventType>([
  "run.queued",
  "run.started",
  "run.completed",
  "run.failed",
  "run.cancelled",
  "quota.settled",
]);

/**
 * Applies domain events to the read models, in the transaction that appends
 * them (pass it as appendEvents' `project`) or while rebuilding. Timestamps come
 * from the events, so a rebuild reproduces the read models exactly.
 */
export async function projectDomainEvents(
  tx: Transaction,
  events: readonly StoredEvent[],
): Promise<void> {
  await project(tx, events, { runPathOnly: false });
}

/**
 * projectDomainEvents for the run path's events (a run's request and its
 * reservation, its steps, its ending and settlement), in raw SQL only, so it
 * runs in sqlTransaction's transactions. Any other event is an error.
 */
export async function projectRunEvents(
  tx: RawTransaction,
  events: readonly StoredEvent[],
): Promise<void> {
  await project(tx, events, { runPathOnly: true });
}

/**
 * Parses the catalog's events (others are not the domain's) and applies
 * them: a batch's run steps grouped by type, anything else one by one.
 */
async function project(
  tx: RawTransaction,
  stored: readonly StoredEvent[],
  { runPathOnly }: { runPathOnly: boolean },
): Promise<void> {
  const events = stored
    .filter((s) => domainEvents.has(s.type))
    .map((s): AppliedEvent => ({ e: domainEvents.parse(s), at: s.time }));
  const steps = runStepsByType(events);
  if (steps) {
    for (const [type, ofType] of steps) await applyEvents(tx, type, ofType);
    return;
  }
  for (const x of events) {
    if (runPathOnly && !RUN_PATH.has(x.e.type))
      throw new Error(
        `projectRunEvents: ${x.e.type} is not an event of a run's path (project it with projectDomainEvents)`,
      );
    await applyEvents(tx, x.e.type, [x]);
  }
}

/**
 * A batch's bookkeeping (a claim's run.queued, a start's run.started, the
 * endings with their quota.settled) grouped by type, so that each read model
 * applies a type's events in one statement for every run, not one per event:
 * what a batch costs is then nearly independent of its size. Only when every
 * event is such a step and each run has one of them, or an ending and its
 * settlement (so order between them cannot matter: each updates its own row
 * or columns, settlements add up); undefined otherwise (the events are then
 * applied one by one).
 */
function runStepsByType(
  events: readonly AppliedEvent[],
): Map<DomainEventType, AppliedEvent[]> | undefined {
  const byType = new Map<DomainEventType, AppliedEvent[]>();
  const ofRun = new Map<string, DomainEventType[]>();
  for (const x of events) {
    if (!RUN_STEPS.has(x.e.type)) return undefined;
    const runId = (x.e.payload as { runId: string }).runId;
    const types = ofRun.get(runId) ?? [];
    types.push(x.e.type);
    ofRun.set(runId, types);
    // One step per run, or an ending with its settlement: anything else
    // (a rebuild's run.queued then run.started) is applied in order.
    if (
      types.length > 2 ||
      (types.length === 2 &&
        (types[1] !== "quota.settled" || types[0] === "quota.settled"))
    )
      return undefined;
    byType.set(x.e.type, [...(byType.get(x.e.type) ?? []), x]);
  }
  return byType;
}

/** Applies events of one type to each read model that reads it, in PROJECTIONS' order. */
async function applyEvents(
  tx: RawTransaction,
  type: DomainEventType,
  events: readonly AppliedEvent[],
): Promise<void> {
  // PROJECTIONS is typed per event type, which TypeScript cannot tie to a
  // `type` known only at run time. The transaction fits: a raw one only
  // ever comes with the run path's events (projectRunEvents), whose
  // handlers are raw SQL.
  const projections = PROJECTIONS[type] as readonly Record<
    string,
    (tx: RawTransaction, events: readonly AppliedEvent[]) => Promise<void>
  >[];
  for (const projection of projections) await projection[type]!(tx, events);
}
