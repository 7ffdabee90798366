import * as Plot from "@observablehq/plot";

/** A labelled grid of numbers, as a heatmap draws it: rows down, columns across. */
export interface CellGrid {
  rowAxis: string;
  colAxis: string;
  rowLabels: string[];
  colLabels: string[];
  values: number[][];
}

/** Pixels a tick label needs along an axis before labels are thinned out. */
const TICK_SPACING = 14;
/** The same for x labels turned 45°, whose boxes overlap sooner. */
const ROTATED_TICK_SPACING = 18;
/** Rough width of one character of a 10px tick label. */
const CHAR_WIDTH = 6;

/**
 * An Observable Plot cell chart of `grid` fitted to `available` pixels of
 * width: cells 6–48 px wide and 8–28 px tall, long column labels turned 45°,
 * tick labels thinned where they would overlap, and each cell's exact value in
 * its title. `color` is the chart's colour scale, with its legend.
 */
export function plotCells(
  grid: CellGrid,
  available: number,
  color: Plot.ScaleOptions,
): Element {
  const rows = grid.rowLabels.length;
  const cols = grid.colLabels.length;
  const cells = grid.values.flatMap((row, i) =>
    row.map((value, j) => ({ i, j, value })),
  );
  const longest = (labels: string[]) =>
    Math.max(...labels.map((l) => l.length)) * CHAR_WIDTH;
  const marginLeft = Math.min(220, longest(grid.rowLabels) + 36);
  const marginRight = 12;
  const cellWidth = clamp(
    Math.floor((available - marginLeft - marginRight) / cols),
    6,
    48,
  );
  const rotate = longest(grid.colLabels) > cellWidth - 4;
  const marginBottom = rotate
    ? Math.min(180, longest(grid.colLabels) * 0.75 + 40)
    : 40;
  const cellHeight = clamp(Math.floor(640 / rows), 8, 28);

  return Plot.plot({
    width: marginLeft + cols * cellWidth + marginRight,
    height: 10 + rows * cellHeight + marginBottom,
    marginLeft,
    marginRight,
    marginTop: 10,
    marginBottom,
    style: { fontSize: "11px" },
    x: {
      domain: grid.colLabels,
      ticks: thin(
        grid.colLabels,
        cellWidth,
        rotate ? ROTATED_TICK_SPACING : TICK_SPACING,
      ),
      tickRotate: rotate ? -45 : 0,
      label: grid.colAxis,
      labelAnchor: "center",
      labelArrow: "none",
    },
    y: {
      domain: grid.rowLabels,
      ticks: thin(grid.rowLabels, cellHeight, TICK_SPACING),
      label: grid.rowAxis,
      labelAnchor: "center",
      labelArrow: "none",
    },
    color: { legend: true, ...color },
    marks: [
      Plot.cell(cells, {
        x: (c: (typeof cells)[number]) => grid.colLabels[c.j],
        y: (c: (typeof cells)[number]) => grid.rowLabels[c.i],
        fill: "value",
        title: (c: (typeof cells)[number]) =>
          `${grid.rowAxis} ${grid.rowLabels[c.i]}, ${grid.colAxis} ${grid.colLabels[c.j]}: ${String(c.value)}`,
      }),
    ],
  });
}

/** Every k-th label, so that labels `step` pixels apart keep `spacing` between them. */
function thin(labels: string[], step: number, spacing: number): string[] {
  const every = Math.ceil(spacing / step);
  return labels.filter((_, i) => i % every === 0);
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
