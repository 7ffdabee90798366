"use client";
import { useState, type ReactNode } from "react";
import styles from "./results.module.css";

/** One way of showing a result: the button's text and what it shows. */
export interface ViewChoice {
  label: string;
  content: ReactNode;
}

/**
 * Two or more ways of showing one result, the first shown at first. A row of
 * toggle buttons (`aria-pressed`) above the shown one picks another; the
 * buttons stay in place while the content under them changes, so keyboard
 * focus stays on the button pressed. Marked `data-testid="view-switch"` with
 * `data-name` and `data-shown` (the shown choice's label) for tests.
 */
export function ViewSwitch({
  name,
  choices,
}: {
  /** The result's name, for the group's accessible name. */
  name: string;
  choices: ViewChoice[];
}) {
  const [shown, setShown] = useState(0);
  const current = choices[shown] ?? choices[0];
  return (
    <div
      className={styles.switchable}
      data-testid="view-switch"
      data-name={name}
      data-shown={current?.label}
    >
      <div
        role="group"
        aria-label={`Show ${name} as`}
        className={styles.switch}
      >
        {choices.map((choice, i) => (
          <button
            key={choice.label}
            type="button"
            aria-pressed={i === shown}
            onClick={() => setShown(i)}
          >
            {choice.label}
          </button>
        ))}
      </div>
      {current?.content}
    </div>
  );
}
