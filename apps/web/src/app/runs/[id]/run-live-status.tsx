"use client";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { trpc } from "@/lib/trpc-client";

const ENDED = new Set(["completed", "failed", "cancelled"]);

interface Status {
  status: string;
  queuePosition: number | null;
}

/**
 * A run's state while it is not finished: polls the API (every second) and,
 * once the run ends, refreshes the page so the server draws its results.
 */
export function RunLiveStatus({
  runId,
  initial,
}: {
  runId: string;
  initial: Status;
}) {
  const router = useRouter();
  const [status, setStatus] = useState(initial);
  const [cancelling, setCancelling] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (ENDED.has(status.status)) return;
    const timer = setTimeout(() => {
      trpc.runs.status
        .query({ runId })
        .then((next) => {
          setStatus(next);
          if (ENDED.has(next.status)) router.refresh();
        })
        .catch((e: unknown) => setError((e as Error).message));
    }, 1000);
    return () => clearTimeout(timer);
  }, [runId, status, router]);
  const ended = ENDED.has(status.status);
  return (
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
          <span data-testid="queue-position">
            {status.queuePosition === 0
              ? "next in line for a batch"
              : `${status.queuePosition} run${status.queuePosition === 1 ? "" : "s"} ahead`}
          </span>
        )}
      </p>
      {!ended && (
        <button
          type="button"
          className="danger"
          disabled={cancelling}
          data-testid="cancel-run"
          onClick={() => {
            setCancelling(true);
            trpc.runs.cancel
              .mutate({ runId })
              .then((ended) => {
                setStatus({ status: ended.status, queuePosition: null });
                router.refresh();
              })
              .catch((e: unknown) => setError((e as Error).message))
              .finally(() => setCancelling(false));
          }}
        >
          {cancelling ? "Cancelling…" : "Cancel run"}
        </button>
      )}
      {error && (
        <p role="alert" className="alert error">
          {error}
        </p>
      )}
    </div>
  );
}
