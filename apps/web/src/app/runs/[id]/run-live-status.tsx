"use client";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { trpc } from "@/lib/trpc-client";

const ENDED = new Set(["completed", "failed", "cancelled"]);

interface GeneratedRow {
  trace: number;
  invoke: number;
  row: number;
  ids: number[];
  text: string | null;
}

interface Status {
  status: string;
  queuePosition: number | null;
  changeKey: string;
  generated: GeneratedRow[] | null;
}

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
  initial: Status;
  /** The text prompt of each row ("trace/invoke/row"), shown before its generated text. */
  prompts: Record<string, string>;
}) {
  const router = useRouter();
  const [status, setStatus] = useState(initial);
  const [cancelling, setCancelling] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (ENDED.has(status.status)) return;
    let live = true;
    const timer = setTimeout(() => {
      trpc.runs.status
        .query({ runId, unlessChanged: status.changeKey, waitMs: 10_000 })
        .then((next) => {
          if (!live) return;
          setStatus(next);
          if (ENDED.has(next.status)) router.refresh();
        })
        .catch((e: unknown) => live && setError((e as Error).message));
    }, 50);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [runId, status, router]);
  const ended = ENDED.has(status.status);
  const generated = status.generated ?? [];
  const traces = new Set(generated.map((r) => r.trace));
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
                  setStatus((s) => ({
                    ...s,
                    status: ended.status,
                    queuePosition: null,
                  }));
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
      {generated.length > 0 && (
        <section
          aria-labelledby="generated-heading"
          data-testid="generated"
          aria-live="polite"
        >
          <h2 id="generated-heading">Generated{ended ? "" : " (live)"}</h2>
          {generated.map((r) => {
            const key = `${r.trace}/${r.invoke}/${r.row}`;
            return (
              <p
                key={key}
                className="generated-row"
                data-testid="generated-row"
                data-row={key}
                data-tokens={r.ids.length}
              >
                {traces.size > 1 && (
                  <span className="small muted">trace {r.trace}: </span>
                )}
                {prompts[key] !== undefined && (
                  <span className="muted">{prompts[key]}</span>
                )}
                <strong data-testid="generated-text">
                  {r.text ?? r.ids.join(" ")}
                </strong>
                <span className="small muted">
                  {" "}
                  ({r.ids.length} token{r.ids.length === 1 ? "" : "s"})
                </span>
              </p>
            );
          })}
        </section>
      )}
    </>
  );
}
