/** A group of benchmark tasks, measured together and reported as one table. */
export interface Suite {
  readonly name: string;
  /** One paragraph under the table: what is measured, and against what. */
  readonly note: string;
  /** Sets up (untimed) and returns the timed functions by label. */
  tasks(): Record<string, () => void>;
}
