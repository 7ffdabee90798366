"use client";
import * as Plot from "@observablehq/plot";
import { useEffect, useRef } from "react";
import styles from "./results.module.css";

/** The colour scale of attention weights, shared by the thumbnails and the chart. */
export const WEIGHT_COLOR: Plot.ScaleOptions = {
  type: "linear",
  scheme: "blues",
  domain: [0, 1],
  label: "attention weight",
};

/**
 * Every head's pattern as a small thumbnail (small multiples), each a toggle
 * button that picks the head drawn large below. Thumbnails are canvases, one
 * pixel per weight on the same colour scale as the chart, and hidden from
 * assistive technology: the buttons are named "Head h", and the table below
 * gives the picked head's numbers.
 */
export function AttentionHeads({
  heads,
  selected,
  onSelect,
}: {
  /** `heads[head][query][key]`. */
  heads: number[][][];
  selected: number;
  onSelect: (head: number) => void;
}) {
  return (
    <div role="group" aria-label="Heads" className={styles.heads}>
      {heads.map((weights, h) => (
        <button
          key={h}
          type="button"
          className={styles.head}
          aria-pressed={h === selected}
          data-testid="attention-head"
          data-head={h}
          onClick={() => onSelect(h)}
        >
          <Thumbnail weights={weights} />
          <span>Head {h}</span>
        </button>
      ))}
    </div>
  );
}

function Thumbnail({ weights }: { weights: number[][] }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const rows = weights.length;
  const cols = weights[0]?.length ?? 0;
  useEffect(() => {
    const context = ref.current?.getContext("2d");
    if (!context) return;
    const color = Plot.scale({ color: WEIGHT_COLOR });
    weights.forEach((row, q) =>
      row.forEach((weight, k) => {
        context.fillStyle = String(color.apply(weight));
        context.fillRect(k, q, 1, 1);
      }),
    );
  }, [weights]);
  return (
    <canvas
      ref={ref}
      width={cols}
      height={rows}
      className={styles.thumbnail}
      aria-hidden="true"
    />
  );
}
