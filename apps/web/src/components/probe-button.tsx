"use client";
import { useState } from "react";
import { trpc } from "@/lib/trpc-client";

type ProbeState =
  | { kind: "idle" }
  | { kind: "running" }
  | {
      kind: "done";
      stream: string;
      position: string;
      workerId: string;
      ms: number;
    }
  | { kind: "failed"; message: string };

/** Sends one probe through every layer and shows where its event landed. */
export function ProbeButton() {
  const [state, setState] = useState<ProbeState>({ kind: "idle" });
  const send = async () => {
    setState({ kind: "running" });
    const started = performance.now();
    try {
      const result = await trpc.system.probe.mutate();
      setState({
        kind: "done",
        ...result,
        ms: Math.round(performance.now() - started),
      });
    } catch (error) {
      setState({
        kind: "failed",
        message: error instanceof Error ? error.message : String(error),
      });
    }
  };
  return (
    <div className="probe">
      <button
        type="button"
        onClick={() => void send()}
        disabled={state.kind === "running"}
      >
        {state.kind === "running" ? "Sending…" : "Send a probe"}
      </button>
      <p role="status" data-testid="probe-result">
        {state.kind === "done" && (
          <>
            Event <code>{state.stream}</code> at position {state.position},
            written by <code>{state.workerId}</code> in {state.ms} ms.{" "}
            <a href="/events">See it in the event log</a>.
          </>
        )}
        {state.kind === "failed" && (
          <span className="error">Probe failed: {state.message}</span>
        )}
      </p>
    </div>
  );
}
