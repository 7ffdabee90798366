import type { CallerOutputs } from "@/lib/api-outputs";
import { DataTable, type Column } from "./data-table";

/** An account's quota and today's use, as account.me reports it. */
type QuotaStanding = CallerOutputs["account"]["me"]["quota"];

interface QuotaLine {
  limit: string;
  used: string | number;
  allowed: string | number;
}

const bytes = (n: number) =>
  n >= 1024 ** 3
    ? `${(n / 1024 ** 3).toFixed(1)} GiB`
    : n >= 1024 ** 2
      ? `${(n / 1024 ** 2).toFixed(1)} MiB`
      : `${(n / 1024).toFixed(1)} KiB`;

const COLUMNS: Column<QuotaLine>[] = [
  { header: "Limit", rowHeader: true, cell: (l) => l.limit },
  { header: "Used today", className: "num", cell: (l) => l.used },
  { header: "Allowed", className: "num", cell: (l) => l.allowed },
];

/** An account's quota against today's use (UTC day). */
export function QuotaTable({ standing }: { standing: QuotaStanding }) {
  const { limits } = standing;
  if (!limits)
    return (
      <p className="muted" data-testid="no-quota">
        No quota yet: an administrator grants one on approving your access
        application.
      </p>
    );
  const lines: QuotaLine[] = [
    {
      limit: "Compute seconds per day",
      used: standing.secondsToday.toFixed(2),
      allowed: limits.computeSecondsPerDay,
    },
    {
      limit: "Runs per day",
      used: standing.runsToday,
      allowed: limits.maxRunsPerDay,
    },
    {
      limit: "Concurrent runs",
      used: standing.activeRuns,
      allowed: limits.maxConcurrentRuns,
    },
    {
      limit: "Result bytes per day",
      used: bytes(standing.resultBytesToday),
      allowed: bytes(limits.maxResultBytes),
    },
  ];
  return (
    <DataTable
      testId="quota"
      caption="Quota and today's use"
      columns={COLUMNS}
      rows={lines}
      rowKey={(l) => l.limit}
    />
  );
}
