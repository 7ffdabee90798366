"use client";
import { useId, type ReactNode } from "react";
import type { ResultView } from "../../results/result-views";
import styles from "./results.module.css";

/**
 * The frame of one result view: a section named by its h3 heading (the save's
 * name), marked with `data-testid="result-<kind>"` and `data-name` for tests.
 */
export function ResultSection({
  view,
  description,
  children,
}: {
  view: ResultView;
  /** One line under the heading saying what the view shows. */
  description: string;
  children: ReactNode;
}) {
  const id = useId();
  return (
    <section
      aria-labelledby={id}
      data-testid={`result-${view.kind}`}
      data-name={view.name}
      className={styles.section}
    >
      <h3 id={id} className={styles.heading}>
        <code>{view.name}</code>
      </h3>
      <p className={styles.description}>{description}</p>
      {children}
    </section>
  );
}
