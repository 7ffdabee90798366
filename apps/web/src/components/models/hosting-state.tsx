import { formatBytes } from "@/lib/format-bytes";
import type { CallerOutputs } from "@/lib/api-outputs";

/** Where hosting a model stands, as models.list reports it. */
export type HostingFacts = Pick<
  CallerOutputs["models"]["list"][number],
  "state" | "reason" | "loadedBytes" | "totalBytes" | "workers"
>;

const CLASS: Record<NonNullable<HostingFacts["state"]>, string> = {
  requested: "access-pending",
  loading: "access-pending",
  online: "access-approved",
  refused: "access-rejected",
  failed: "access-rejected",
  unhosted: "access-none",
};

/**
 * A model's hosting state as a pill, in words (so it reads without colour),
 * with the bytes loaded while it loads and the reason it was refused or
 * failed. A model registered before hosting was recorded reads as online
 * while a worker serves it.
 */
export function HostingState({ model }: { model: HostingFacts }) {
  const state = model.state ?? (model.workers > 0 ? "online" : null);
  if (!state) return <span className="pill access-rejected">no worker</span>;
  return (
    <div data-testid="model-state" data-state={state}>
      <span className={`pill ${CLASS[state]}`}>{state}</span>
      {state === "loading" && model.totalBytes !== null && (
        <div className="muted small">
          {formatBytes(model.loadedBytes ?? 0)} of{" "}
          {formatBytes(model.totalBytes)}
        </div>
      )}
      {model.reason && (
        <div className="small" data-testid="model-state-reason">
          {model.reason}
        </div>
      )}
    </div>
  );
}
