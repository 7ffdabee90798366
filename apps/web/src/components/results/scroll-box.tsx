import type { ReactNode } from "react";
import styles from "./results.module.css";

/**
 * A scrolling box for a wide or long table. Focusable and named, so keyboard
 * users can scroll it (axe's scrollable-region-focusable rule).
 */
export function ScrollBox({
  label,
  children,
}: {
  label: string;
  children: ReactNode;
}) {
  return (
    <div
      className={styles.scroll}
      role="region"
      aria-label={label}
      tabIndex={0}
    >
      {children}
    </div>
  );
}
