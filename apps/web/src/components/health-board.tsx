"use client";
import type { HealthReport } from "@loupe/api";
import { useEffect, useState } from "react";
import { trpc } from "@/lib/trpc-client";
import { DataTable, type Column } from "./data-table";
import { StatusBadge } from "./status-badge";
import { EngineMemory } from "./models/engine-memory";
import { WorkerMemoryBudget } from "./models/worker-memory-budget";

const REFRESH_MS = 2000;

type Part = HealthReport["parts"][number];
type Worker = HealthReport["workers"][number];

const PART_COLUMNS: Column<Part>[] = [
  { header: "Part", rowHeader: true, cell: (p) => p.part },
  { header: "Status", cell: (p) => <StatusBadge healthy={p.healthy} /> },
  { header: "Detail", cell: (p) => p.detail },
  {
    header: "Latency",
    className: "num",
    cell: (p) => (p.latencyMs === null ? "—" : `${p.latencyMs} ms`),
  },
];

const WORKER_COLUMNS: Column<Worker>[] = [
  {
    header: "Worker",
    rowHeader: true,
    cell: (w) => (
      <>
        <code>{w.id}</code>
        <div className="muted small">
          {w.hostname}, pid {w.pid}
        </div>
      </>
    ),
  },
  { header: "Status", cell: (w) => <StatusBadge healthy={w.healthy} /> },
  { header: "Task queues", cell: (w) => w.taskQueues.join(", ") },
  {
    header: "Models loaded",
    data: { "data-testid": "worker-models" },
    cell: (w) => (w.models.length === 0 ? "none" : w.models.join(", ")),
  },
  {
    header: "Memory",
    data: { "data-testid": "worker-memory" },
    cell: (w) =>
      w.memory ? (
        <>
          <div className="small">
            <WorkerMemoryBudget memory={w.memory} />
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
      ),
  },
  {
    header: "Last seen",
    className: "num",
    cell: (w) => `${w.lastSeenSecondsAgo} s ago`,
  },
  { header: "Detail", cell: (w) => w.detail },
];

/** The live health table: starts from the server's report, then polls the API. */
export function HealthBoard({ initial }: { initial: HealthReport }) {
  const { report, reachable } = useHealthReport(initial);
  return (
    <div aria-live="polite">
      <p
        className="summary"
        data-testid="health-summary"
        data-healthy={String(report.healthy && reachable)}
      >
        <StatusBadge
          healthy={report.healthy && reachable}
          label={summaryOf(report, reachable)}
        />
        <span className="muted">
          {" "}
          checked {new Date(report.checkedAt).toLocaleTimeString("en-GB")}
        </span>
      </p>
      <DataTable
        columns={PART_COLUMNS}
        rows={report.parts}
        rowKey={(p) => p.part}
        rowData={(p) => ({
          "data-testid": `health-row-${p.part}`,
          "data-status": p.healthy ? "healthy" : "unhealthy",
        })}
      />
      <h2>Workers</h2>
      {report.workers.length === 0 ? (
        <p className="muted">No worker has reported in the last 10 minutes.</p>
      ) : (
        <DataTable
          columns={WORKER_COLUMNS}
          rows={report.workers}
          rowKey={(w) => w.id}
          rowData={(w) => ({
            "data-testid": "worker-row",
            "data-status": w.healthy ? "healthy" : "unhealthy",
          })}
        />
      )}
    </div>
  );
}

/** The latest health report, polled every REFRESH_MS, and whether the last poll was answered. */
function useHealthReport(initial: HealthReport) {
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
  return { report, reachable };
}

/** The report in one line: all healthy, or how many parts are not. */
function summaryOf(report: HealthReport, reachable: boolean): string {
  const unhealthy = report.parts.filter((p) => !p.healthy).length;
  if (!reachable) return "The web app is not answering";
  if (report.healthy) return "All parts healthy";
  if (unhealthy === 0) return "A worker is unhealthy";
  return `${unhealthy} of ${report.parts.length} parts unhealthy`;
}
