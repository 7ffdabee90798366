"use client";
import type { ResultView } from "../../results/result-views";
import { formatNumber } from "./format-number";
import { ResultSection } from "./result-section";
import styles from "./results.module.css";

type TensorView = Extract<ResultView, { kind: "tensor" }>;

/** A result shown as facts: dtype, shape, min/max/mean and its first elements. */
export function TensorSummary({ view }: { view: TensorView }) {
  const count = view.shape.reduce((a, d) => a * d, 1);
  const more = count > view.preview.length ? ", …" : "";
  const show = (v: number) =>
    view.dtype.startsWith("float") ? formatNumber(v) : String(v);
  return (
    <ResultSection
      view={view}
      description={`A ${view.dtype} tensor of ${count} element${count === 1 ? "" : "s"}.`}
    >
      <dl className={styles.facts}>
        <dt>dtype</dt>
        <dd>
          <code>{view.dtype}</code>
        </dd>
        <dt>shape</dt>
        <dd>
          <code>[{view.shape.join(", ")}]</code>
        </dd>
        <dt>min</dt>
        <dd className={styles.num} data-value={String(view.min)}>
          {show(view.min)}
        </dd>
        <dt>max</dt>
        <dd className={styles.num} data-value={String(view.max)}>
          {show(view.max)}
        </dd>
        <dt>mean</dt>
        <dd className={styles.num} data-value={String(view.mean)}>
          {formatNumber(view.mean)}
        </dd>
        <dt>
          {view.preview.length < count
            ? `first ${view.preview.length}`
            : "values"}
        </dt>
        <dd>
          <code>
            [{view.preview.map(show).join(", ")}
            {more}]
          </code>
        </dd>
      </dl>
    </ResultSection>
  );
}
