import { DataTable, type Column } from "@/components/data-table";
import { WorkerMemoryBudget } from "@/components/models/worker-memory-budget";
import { When } from "@/components/when";
import type { CallerOutputs } from "@/lib/api-outputs";

type Worker = CallerOutputs["admin"]["workers"][number];

const COLUMNS: Column<Worker>[] = [
  {
    header: "Worker",
    cell: (w) => (
      <>
        <code>{w.hostname}</code> pid {w.pid}
      </>
    ),
  },
  {
    header: "Task queues",
    className: "small",
    cell: (w) => w.taskQueues.join(", "),
  },
  { header: "Models", className: "small", cell: (w) => w.models.join(", ") },
  {
    header: "Memory",
    className: "small",
    cell: (w) => <WorkerMemoryBudget memory={w.memory ?? null} />,
  },
  {
    header: "Up since",
    className: "num",
    cell: (w) => <When at={w.startedAt} />,
  },
  {
    header: "Last heartbeat",
    className: "num",
    cell: (w) => <When at={w.lastSeenAt} />,
  },
];

/** The workers that heartbeated in the last 30 seconds: their queues, models and memory. */
export function WorkersTable({ workers }: { workers: readonly Worker[] }) {
  return (
    <DataTable
      testId="workers"
      columns={COLUMNS}
      rows={workers}
      rowKey={(w) => w.id}
      empty="No worker heartbeat in the last 30 seconds."
    />
  );
}
