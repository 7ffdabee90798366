"use client";
import type { HealthReport } from "@loupe/api";
import { useEffect, useState } from "react";
import { trpc } from "@/lib/trpc-client";
import { StatusBadge } from "./status-badge";
import { EngineMemory } from "./models/engine-memory";
import { formatBytes } from "@/lib/format-bytes";

const REFRESH_MS = 2000;

/** The live health table: starts from the server's report, then polls the API. */
export function HealthBoard({ initial }: { initial: HealthReport }) {
  const [report, setReport] = useState(initial);
  const [reachable, setReachable] = useState(true);

  useEffect(() => {
    let cancelled = false;
    const refresh = async () => {
      try {
        const next = await trpc.system.health.query();
        if (!cancelled) {
          setReport(next);
          setReachable(true);
        }
      } catch {
        if (!cancelled) setReachable(false);
      }
    };
    const timer = setInterval(() => void refresh(), REFRESH_MS);
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, []);

  const unhealthy = report.parts.filter((p) => !p.healthy).length;
  return (
    <div aria-live="polite">
      <p
        className="summary"
        data-testid="health-summary"
        data-healthy={String(report.healthy && reachable)}
      >
        <StatusBadge
          healthy={report.healthy && reachable}
          label={
            !reachable
              ? "The web app is not answering"
              : report.healthy
                ? "All parts healthy"
                : unhealthy === 0
                  ? "A worker is unhealthy"
                  : `${unhealthy} of ${report.parts.length} parts unhealthy`
          }
        />
        <span className="muted">
          {" "}
          checked {new Date(report.checkedAt).toLocaleTimeString("en-GB")}
        </span>
      </p>
      <table className="grid">
        <thead>
          <tr>
            <th scope="col">Part</th>
            <th scope="col">Status</th>
            <th scope="col">Detail</th>
            <th scope="col">Latency</th>
          </tr>
        </thead>
        <tbody>
          {report.parts.map((p) => (
            <tr
              key={p.part}
              data-testid={`health-row-${p.part}`}
              data-status={p.healthy ? "healthy" : "unhealthy"}
            >
              <th scope="row">{p.part}</th>
              <td>
                <StatusBadge healthy={p.healthy} />
              </td>
              <td>{p.detail}</td>
              <td className="num">
                {p.latencyMs === null ? "—" : `${p.latencyMs} ms`}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Workers</h2>
      {report.workers.length === 0 ? (
        <p className="muted">No worker has reported in the last 10 minutes.</p>
      ) : (
        <table className="grid">
          <thead>
            <tr>
              <th scope="col">Worker</th>
              <th scope="col">Status</th>
              <th scope="col">Task queues</th>
              <th scope="col">Models loaded</th>
              <th scope="col">Memory</th>
              <th scope="col">Last seen</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            {report.workers.map((w) => (
              <tr
                key={w.id}
                data-testid="worker-row"
                data-status={w.healthy ? "healthy" : "unhealthy"}
              >
                <th scope="row">
                  <code>{w.id}</code>
                  <div className="muted small">
                    {w.hostname}, pid {w.pid}
                  </div>
                </th>
                <td>
                  <StatusBadge healthy={w.healthy} />
                </td>
                <td>{w.taskQueues.join(", ")}</td>
                <td data-testid="worker-models">
                  {w.models.length === 0 ? "none" : w.models.join(", ")}
                </td>
                <td data-testid="worker-memory">
                  {w.memory ? (
                    <>
                      <div className="small">
                        weights {formatBytes(w.memory.admittedBytes)}
                        {w.memory.budgetBytes === null
                          ? " (no budget)"
                          : ` of ${formatBytes(w.memory.budgetBytes)}`}
                      </div>
                      {Object.entries(w.memory.models).map(([model, m]) => (
                        <div key={model}>
                          <div className="small">
                            <code>{model}</code>
                          </div>
                          <EngineMemory memory={m} />
                        </div>
                      ))}
                    </>
                  ) : (
                    <span className="muted">not reported</span>
                  )}
                </td>
                <td className="num">{w.lastSeenSecondsAgo} s ago</td>
                <td>{w.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
