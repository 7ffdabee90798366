/**
 * The report's PNG charts: drawn with Observable Plot (the portal's chart
 * library) into a jsdom document, serialized as SVG, and rasterized by sharp
 * (libvips). No browser is needed, so `npm run bench` draws them anywhere.
 */
import fs from "node:fs";
import path from "node:path";
import * as Plot from "@observablehq/plot";
import { JSDOM } from "jsdom";
import sharp from "sharp";

const FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif";

/**
 * Renders a Plot spec (one SVG: no HTML legends) to `file` as PNG at twice its
 * size, with `title` above it; returns the file's path.
 */
export async function renderChart(
  file: string,
  title: string,
  options: Plot.PlotOptions,
): Promise<string> {
  const { document } = new JSDOM("").window;
  const svg = Plot.plot({
    ...options,
    document,
    style: { fontFamily: FONT, fontSize: "12px", background: "white" },
  });
  if (svg.tagName.toLowerCase() !== "svg")
    throw new Error(
      `chart ${file}: Plot drew a figure, not one SVG (a title, caption or legend option?)`,
    );
  const width = Number(svg.getAttribute("width"));
  const height = Number(svg.getAttribute("height"));
  const top = 30;
  const escaped = title.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  // The plot nested below a title, on white (sharp keeps transparency otherwise).
  const markup = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + top}"><rect width="100%" height="100%" fill="white"/><text x="8" y="20" font-family="${FONT}" font-size="15" font-weight="bold">${escaped}</text><g transform="translate(0 ${top})">${svg.outerHTML}</g></svg>`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp(Buffer.from(markup), { density: 144 }).png().toFile(file);
  return file;
}

/** One bar per (group, series) pair: grouped horizontal bars with error whiskers. */
export interface BarDatum {
  readonly group: string;
  readonly series: string;
  readonly value: number;
  readonly low?: number;
  readonly high?: number;
}

/** Grouped horizontal bars (e.g. seconds per task per contender), whiskers from low to high. */
export function groupedBars(
  data: readonly BarDatum[],
  options: { x: string; seriesOrder: readonly string[] },
): Plot.PlotOptions {
  const top = Math.max(...data.map((d) => d.high ?? d.value));
  return {
    width: 760,
    marginLeft: 190,
    marginRight: 110,
    // Room right of the longest whisker for its value's label.
    x: { label: options.x, grid: true, domain: [0, top * 1.15] },
    fy: {
      label: null,
      domain: [...new Set(data.map((d) => d.group))],
      axis: "right",
    },
    y: { label: null, domain: [...options.seriesOrder] },
    color: { domain: [...options.seriesOrder], scheme: "tableau10" },
    marks: [
      Plot.barX(data, {
        fy: "group",
        y: "series",
        x: "value",
        fill: "series",
      }),
      Plot.ruleY(
        data.filter((d) => d.low !== undefined),
        { fy: "group", y: "series", x1: "low", x2: "high", stroke: "black" },
      ),
      Plot.text(data, {
        fy: "group",
        y: "series",
        x: (d: BarDatum) => d.high ?? d.value,
        text: (d: BarDatum) => d.value.toFixed(2),
        textAnchor: "start",
        dx: 4,
        fontSize: 10,
      }),
      Plot.ruleX([0]),
    ],
  };
}

/** Lines of y against x per series, with dots (e.g. throughput against clients). */
export function seriesLines(
  data: readonly { x: number; y: number; series: string }[],
  options: { x: string; y: string },
): Plot.PlotOptions {
  // Each series named at its first point, above or below it (alternately),
  // so names of series that start close together do not overlap.
  const names = [...new Set(data.map((d) => d.series))].map((series, i) => ({
    ...data.find((d) => d.series === series)!,
    above: i % 2 === 0,
  }));
  return {
    width: 680,
    height: 380,
    marginRight: 40,
    x: {
      label: options.x,
      type: "log",
      ticks: [...new Set(data.map((d) => d.x))],
      tickFormat: "d",
    },
    y: { label: options.y, grid: true, zero: true },
    color: { scheme: "tableau10" },
    marks: [
      Plot.line(data, { x: "x", y: "y", stroke: "series", marker: "dot" }),
      ...[true, false].map((above) =>
        Plot.text(
          names.filter((n) => n.above === above),
          {
            x: "x",
            y: "y",
            text: "series",
            fill: "series",
            textAnchor: "start",
            dx: 10,
            dy: above ? -14 : 14,
            fontWeight: "bold",
          },
        ),
      ),
      Plot.text(data, {
        x: "x",
        y: "y",
        text: (d: { y: number }) => d.y.toFixed(1),
        dy: -8,
        fontSize: 10,
      }),
    ],
  };
}
