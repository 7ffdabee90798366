"use client";
import {
  ENDED_RUN_STATUSES,
  isEndedRunStatus,
  type RunStatusName,
} from "@loupe/graph";
import { useState } from "react";
import { trpc } from "@/lib/trpc-client";

/**
 * Cancels a run that has not ended (runs.cancel), and says how it ended: an
 * ending that came first (completed, failed) wins over the cancel.
 */
export function CancelRunButton({
  runId,
  onCancelled,
  onError,
}: {
  runId: string;
  onCancelled: (endedAs: RunStatusName) => void;
  onError: (message: string) => void;
}) {
  const [cancelling, setCancelling] = useState(false);
  return (
    <button
      type="button"
      className="danger"
      disabled={cancelling}
      data-testid="cancel-run"
      onClick={() => {
        setCancelling(true);
        trpc.runs.cancel
          .mutate({ runId })
          .then(({ status }) => {
            if (!isEndedRunStatus(status))
              throw new Error(
                `runs.cancel answered status "${status}", expected one of ${ENDED_RUN_STATUSES.join(", ")}`,
              );
            onCancelled(status);
          })
          .catch((e: unknown) => onError((e as Error).message))
          .finally(() => setCancelling(false));
      }}
    >
      {cancelling ? "Cancelling…" : "Cancel run"}
    </button>
  );
}
