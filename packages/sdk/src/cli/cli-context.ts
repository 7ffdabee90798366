import { InvalidArgumentError } from "commander";
import { createLoupe, type Loupe, type LoupeOptions } from "../client/loupe.ts";

/** What commands print to and build clients with (tests pass their own). */
export interface CliContext {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly client: (options?: LoupeOptions) => Loupe;
  readonly env: NodeJS.ProcessEnv;
}

export const defaultCliContext: CliContext = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  client: (options) => createLoupe(options),
  env: process.env,
};

/** Left-aligned columns, for lists. */
export function table(rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return "";
  const widths = rows[0]!.map((_, c) =>
    Math.max(...rows.map((r) => (r[c] ?? "").length)),
  );
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")
    .concat("\n");
}

/** Parses a count or version number, refusing anything else by name. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(
      `expected a whole number of at least 1, got "${value}"`,
    );
  return n;
}
