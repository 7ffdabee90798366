"use client";
import { isEndedRunStatus } from "@loupe/graph";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import type { RouterOutputs } from "@/lib/api-outputs";
import { trpc } from "@/lib/trpc-client";
import { CancelRunButton } from "./cancel-run-button";
import { GeneratedRows } from "./generated-rows";

/** What the page follows of a run: runs.status's answer, in part. */
export type LiveRunState = Pick<
  RouterOutputs["runs"]["status"],
  "status" | "queuePosition" | "changeKey" | "generated"
>;

/**
 * A run's state while it is not finished, and a generation's text as it
 * grows: a long poll of the API that answers at the run's next event (a
 * queue move, each step's tokens, its end); once the run ends, the page is
 * refreshed so the server draws its results.
 */
export function RunLiveStatus({
  runId,
  initial,
  prompts,
}: {
  runId: string;
  initial: LiveRunState;
  /** The text prompt of each row ("trace/invoke/row"), shown before its generated text. */
  prompts: Record<string, string>;
}) {
  const router = useRouter();
  const [status, setStatus] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  useRunFollower(runId, status, setStatus, setError);
  const ended = isEndedRunStatus(status.status);
  return (
    <>
      <div className="live-status" aria-live="polite">
        <p>
          <span
            className={`pill run-${status.status}`}
            data-testid="run-status"
            data-status={status.status}
          >
            {status.status}
          </span>{" "}
          {status.queuePosition !== null && !ended && (
            <QueuePosition ahead={status.queuePosition} />
          )}
        </p>
        {!ended && (
          <CancelRunButton
            runId={runId}
            onCancelled={(endedAs) => {
              setStatus((s) => ({
                ...s,
                status: endedAs,
                queuePosition: null,
              }));
              router.refresh();
            }}
            onError={setError}
          />
        )}
        {error && (
          <p role="alert" className="alert error">
            {error}
          </p>
        )}
      </div>
      <GeneratedRows
        generated={status.generated ?? []}
        prompts={prompts}
        ended={ended}
      />
    </>
  );
}

/** How many runs of the model are ahead of a waiting run. */
function QueuePosition({ ahead }: { ahead: number }) {
  return (
    <span data-testid="queue-position">
      {ahead === 0
        ? "next in line for a batch"
        : `${ahead} run${ahead === 1 ? "" : "s"} ahead`}
    </span>
  );
}

/**
 * Follows a run that has not ended: asks runs.status for the run's next
 * change (a long poll on its change key), records it in `setStatus`, and once
 * the run has ended refreshes the page so the server draws its results.
 */
function useRunFollower(
  runId: string,
  status: LiveRunState,
  setStatus: (next: LiveRunState) => void,
  setError: (message: string) => void,
) {
  const router = useRouter();
  useEffect(() => {
    if (isEndedRunStatus(status.status)) return;
    let live = true;
    const timer = setTimeout(() => {
      trpc.runs.status
        .query({ runId, unlessChanged: status.changeKey, waitMs: 10_000 })
        .then((next) => {
          if (!live) return;
          setStatus(next);
          if (isEndedRunStatus(next.status)) router.refresh();
        })
        .catch((e: unknown) => live && setError((e as Error).message));
    }, 50);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [runId, status, router, setStatus, setError]);
}
