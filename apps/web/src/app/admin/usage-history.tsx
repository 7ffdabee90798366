import { UsageChart, type UsageDay } from "@/components/admin/usage-chart";
import { DataTable, type Column } from "@/components/data-table";
import type { CallerOutputs } from "@/lib/api-outputs";

type Day = CallerOutputs["admin"]["usageHistory"][number];

/** How many UTC days the chart and the table cover, today included. */
export const USAGE_DAYS = 30;

const COLUMNS: Column<Day>[] = [
  { header: "Day (UTC)", cell: (h) => h.day },
  { header: "Runs", className: "num", cell: (h) => h.runs },
  {
    header: "Compute seconds",
    className: "num",
    cell: (h) => h.computeSeconds.toFixed(2),
  },
  {
    header: "Result bytes",
    className: "num",
    cell: (h) => h.resultBytes.toLocaleString("en"),
  },
];

/** Runs, compute and result bytes per UTC day, as a chart of every day and a table of the days with runs. */
export function UsageHistory({ history }: { history: readonly Day[] }) {
  if (history.length === 0)
    return <p className="muted">{`No runs in the last ${USAGE_DAYS} days.`}</p>;
  return (
    <>
      <UsageChart days={everyDay(history, USAGE_DAYS)} />
      <DataTable
        testId="usage-history"
        columns={COLUMNS}
        rows={history}
        rowKey={(h) => h.day}
      />
    </>
  );
}

/** The last `days` UTC days, oldest first, with zeros for days without runs. */
function everyDay(history: readonly UsageDay[], days: number): UsageDay[] {
  const byDay = new Map(history.map((h) => [h.day, h]));
  return Array.from({ length: days }, (_, i) => {
    const day = new Date(Date.now() - (days - 1 - i) * 86_400_000)
      .toISOString()
      .slice(0, 10);
    return byDay.get(day) ?? { day, runs: 0, computeSeconds: 0 };
  });
}
