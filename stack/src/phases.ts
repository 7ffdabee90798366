/** Times named phases of a command and prints a summary of their durations. */
export class PhaseClock {
  readonly #done: { name: string; seconds: number; ok: boolean }[] = [];

  readonly #print: (line: string) => void;

  /** `print` receives each line (console.log unless told otherwise). */
  constructor(print = (line: string) => console.log(line)) {
    this.#print = print;
  }

  /** Runs one phase, printing its start and how long it took (also when it fails). */
  async run<T>(name: string, body: () => Promise<T> | T): Promise<T> {
    this.#print(`\n▶ ${name}`);
    const started = performance.now();
    let ok = false;
    try {
      const value = await body();
      ok = true;
      return value;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      this.#done.push({ name, seconds, ok });
      this.#print(`${ok ? "✔" : "✘"} ${name} (${seconds.toFixed(1)} s)`);
    }
  }

  /** Records a phase that ran before this process (npm ci, run by bootstrap.mjs). */
  record(name: string, seconds: number): void {
    this.#done.push({ name, seconds, ok: true });
  }

  /** The table of phase durations, with the total. */
  summary(): string {
    const width = Math.max(...this.#done.map((p) => p.name.length), 5);
    const rows = this.#done.map(
      (p) =>
        `  ${p.ok ? "✔" : "✘"} ${p.name.padEnd(width)}  ${p.seconds.toFixed(1).padStart(7)} s`,
    );
    const total = this.#done.reduce((sum, p) => sum + p.seconds, 0);
    return [
      "phase durations:",
      ...rows,
      `    ${"total".padEnd(width)}  ${total.toFixed(1).padStart(7)} s`,
    ].join("\n");
  }
}
