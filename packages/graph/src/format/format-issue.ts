import type { z } from "zod";

/** One problem found while parsing: where, what was expected, what was there. */
export interface FormatIssue {
  /** JSON path of the offending value, like `nodes[3].args[0]` ("" for the document). */
  readonly path: string;
  readonly expected: string;
  readonly got: string;
  /** "nodes[3].args[0]: expected …, got …" */
  readonly message: string;
}

/** Builds an issue with its message. */
export function formatIssue(
  path: string,
  expected: string,
  got: string,
): FormatIssue {
  return {
    path,
    expected,
    got,
    message: `${path || "document"}: expected ${expected}, got ${got}`,
  };
}

/** Renders a JSON path from its segments. */
export function jsonPath(segments: readonly PropertyKey[]): string {
  return segments
    .map((s, i) =>
      typeof s === "number" ? `[${s}]` : `${i === 0 ? "" : "."}${String(s)}`,
    )
    .join("");
}

/** A short description of a value for messages: "a string "x"", "42", "an object", … */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "string")
    return value.length > 40
      ? `${JSON.stringify(value.slice(0, 40))}…`
      : JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean")
    return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return `an object`;
}

/** Converts zod's issues (parsed with reportInput) into format issues under `prefix`. */
export function fromZodIssues(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[] = [],
): FormatIssue[] {
  return issues.map((issue) => {
    const path = jsonPath([...prefix, ...issue.path]);
    const input = (issue as { input?: unknown }).input;
    switch (issue.code) {
      case "invalid_type":
        return formatIssue(path, issue.expected, describeValue(input));
      case "invalid_value":
        return formatIssue(
          path,
          issue.values.length === 1
            ? JSON.stringify(issue.values[0])
            : `one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`,
          describeValue(input),
        );
      case "unrecognized_keys":
        return formatIssue(
          path,
          "no other fields",
          `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}`,
        );
      case "too_small":
      case "too_big":
        return formatIssue(
          path,
          issue.message
            .replace(/^Too (small|big): expected /, "")
            .replace(/^(number|array|string) to (have|be) /, ""),
          describeValue(input),
        );
      default:
        return formatIssue(
          path,
          issue.message
            .replace(/^Invalid input: expected /, "")
            .replace(/^expected /, "")
            .replace(/^Invalid input$/, "a valid value"),
          describeValue(input),
        );
    }
  });
}
