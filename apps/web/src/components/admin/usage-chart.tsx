"use client";
import * as Plot from "@observablehq/plot";
import { usePlot } from "@/components/results/use-plot";
import type { CallerOutputs } from "@/lib/api-outputs";

/** One UTC day of admin.usageHistory, as the chart draws it. */
export type UsageDay = Pick<
  CallerOutputs["admin"]["usageHistory"][number],
  "day" | "runs" | "computeSeconds"
>;

function buildUsageChart(days: UsageDay[], width: number): Element {
  return Plot.plot({
    width,
    height: 220,
    marginLeft: 50,
    x: {
      label: "day (UTC)",
      type: "band",
      tickFormat: (d: string) => d.slice(5),
    },
    y: { label: "runs", grid: true },
    marks: [
      Plot.barY(days, {
        x: "day",
        y: "runs",
        fill: "#2f5bd3",
        title: (d: UsageDay) =>
          `${d.day}: ${d.runs} runs, ${d.computeSeconds.toFixed(1)} compute s`,
      }),
      Plot.ruleY([0]),
    ],
  });
}

/** Runs per day across all accounts, one bar per UTC day of the window (days without runs included). */
export function UsageChart({ days }: { days: UsageDay[] }) {
  const ref = usePlot(days, buildUsageChart);
  const total = days.reduce((n, d) => n + d.runs, 0);
  return (
    <div
      ref={ref}
      role="img"
      aria-label={`Bar chart: ${total} runs over the ${days.length} days from ${days[0]?.day} to ${days.at(-1)?.day}; the table below lists each day.`}
    />
  );
}
