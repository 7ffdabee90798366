import {
  listModelHosting,
  type Database,
  type ModelHostingStatus,
} from "@loupe/db";
import type { HostingScope } from "../env.ts";
import type { HostRequest, ModelHost } from "./model-host.ts";

/** What this worker should do about one model, given its hosting state. */
export type HostingAction =
  | { readonly kind: "host"; readonly request: HostRequest }
  | { readonly kind: "unhost"; readonly name: string };

/**
 * Compares the models' hosting states with what this worker holds, and says
 * what to do (pure, so the rules are tested on their own):
 * - a model held here that is unhosted, or held for an earlier request than
 *   the one standing, is unhosted;
 * - a standing request (any state but unhosted) for a model in this worker's
 *   scope, not held here and not tried yet by this process, is hosted. A
 *   request this worker refused or failed is not tried again until an
 *   administrator requests the model anew (a new request id).
 */
export function planHosting(
  states: readonly ModelHostingStatus[],
  held: {
    has(name: string): boolean;
    requestOf(name: string): string | null | undefined;
  },
  scope: HostingScope,
  tried: ReadonlySet<string>,
): HostingAction[] {
  const actions: HostingAction[] = [];
  for (const s of states) {
    if (held.has(s.name)) {
      const heldFor = held.requestOf(s.name);
      if (
        s.state === "unhosted" ||
        (heldFor !== null && heldFor !== undefined && s.requestId !== heldFor)
      )
        actions.push({ kind: "unhost", name: s.name });
      continue;
    }
    if (
      s.state !== "unhosted" &&
      s.requestId !== null &&
      s.source !== null &&
      inScope(scope, s.name) &&
      !tried.has(s.requestId)
    )
      actions.push({
        kind: "host",
        request: { name: s.name, source: s.source, requestId: s.requestId },
      });
  }
  return actions;
}

function inScope(scope: HostingScope, name: string): boolean {
  return (
    scope.kind === "all" ||
    (scope.kind === "named" && scope.names.includes(name))
  );
}

/**
 * Keeps what a worker hosts in step with the models' hosting states: reads
 * them every `pollMs` (one small query) and hosts or unhosts as planHosting
 * says. Each model's work runs on its own, so loading a large model never
 * holds up unhosting another; one model's work at a time.
 */
export function startHostingReconciler(
  db: Database,
  host: ModelHost,
  options: {
    scope: HostingScope;
    pollMs: number;
    log: (line: string) => void;
  },
): { stop(): Promise<void>; tick(): Promise<void> } {
  const tried = new Set<string>();
  const busy = new Map<string, Promise<unknown>>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const tick = async () => {
    const states = await listModelHosting(db);
    for (const action of planHosting(states, host, options.scope, tried)) {
      const name = action.kind === "host" ? action.request.name : action.name;
      if (busy.has(name)) continue;
      if (action.kind === "host") tried.add(action.request.requestId!);
      const work = (
        action.kind === "host"
          ? host.host(action.request)
          : host.unhost(action.name)
      )
        .catch((error: unknown) =>
          options.log(
            `[worker] ${action.kind} ${name}: ${error instanceof Error ? error.message : String(error)}`,
          ),
        )
        .finally(() => busy.delete(name));
      busy.set(name, work);
    }
  };
  const loop = async () => {
    if (stopped) return;
    await tick().catch((error: unknown) =>
      options.log(
        `[worker] reading the models' hosting states failed: ${error instanceof Error ? error.message : String(error)}`,
      ),
    );
    if (!stopped) timer = setTimeout(() => void loop(), options.pollMs);
  };
  void loop();
  return {
    tick,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await Promise.all(busy.values());
    },
  };
}
