import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { ERROR_CODES, errorCodeOf, normalizeRunError } from "@loupe/graph";
import { describe, expect, it } from "vitest";
import { CLIENT_ERROR_CODES } from "./loupe-client-error.ts";

const ROOT = path.resolve(import.meta.dirname, "../../../..");

/** Loupe's source files: every package's and app's src/, without tests and generated code. */
function sourceFiles(): string[] {
  const roots = [
    ...["packages", "apps"].flatMap((dir) =>
      readdirSync(path.join(ROOT, dir)).map((name) =>
        path.join(ROOT, dir, name, "src"),
      ),
    ),
    path.join(ROOT, "workflows", "src"),
  ];
  return roots.flatMap((root) => {
    let entries: string[];
    try {
      entries = readdirSync(root, { recursive: true, encoding: "utf8" });
    } catch {
      return [];
    }
    return entries
      .filter((f) => /\.tsx?$/.test(f) && !/\.(test|spec)\.tsx?$/.test(f))
      .filter((f) => !f.split(path.sep).includes("generated"))
      .map((f) => path.join(root, f));
  });
}

/**
 * Upper-case `code` values the source sets that are not Loupe error codes:
 * tRPC's own codes (the registry maps each Loupe code to one) and fields
 * named `code` that are not errors' (safetensors dtypes, a warning's code).
 */
const NOT_ERROR_CODES = new Set([
  "PRECONDITION_FAILED",
  "SERVICE_UNAVAILABLE",
  "TOO_MANY_REQUESTS",
  "INTERNAL_SERVER_ERROR",
  "F32",
  "F16",
  "I64",
  "I32",
  "BOOL",
  "LOUPE_RUN_WARNING",
]);

describe("the one registry of error codes (ERROR_CODES in @loupe/graph)", () => {
  it("lists every code an error in Loupe's source is given", () => {
    const found = new Map<string, string>();
    const pattern =
      /(?:readonly code = |\bcode: |\bcode\) ?=== ?|satisfies ErrorCode)"([A-Z][A-Z0-9_]+)"/g;
    const failure = /\bfailure\([^,]+,\s*"([A-Z][A-Z0-9_]+)"/g;
    for (const file of sourceFiles()) {
      const text = readFileSync(file, "utf8");
      for (const m of [...text.matchAll(pattern), ...text.matchAll(failure)])
        if (!NOT_ERROR_CODES.has(m[1]!))
          found.set(m[1]!, path.relative(ROOT, file));
    }
    // The scan sees the codes it should (a pattern that matched nothing would pass anything).
    expect(found.size).toBeGreaterThan(30);
    const unlisted = [...found].filter(
      ([code]) => !Object.hasOwn(ERROR_CODES, code),
    );
    expect(unlisted.map(([code, file]) => `${code} (${file})`)).toEqual([]);
  });

  it("gives the SDK's codes from the registry", () => {
    for (const code of CLIENT_ERROR_CODES)
      expect(Object.hasOwn(ERROR_CODES, code), code).toBe(true);
  });

  it("reads runs that failed before the registry, under class names, as its codes", () => {
    expect(errorCodeOf("RunError")).toBe("RUN_ERROR");
    expect(errorCodeOf("ModelChanged")).toBe("MODEL_CHANGED");
    expect(errorCodeOf("RUN_ERROR")).toBe("RUN_ERROR");
    expect(errorCodeOf("NoSuchError")).toBeNull();
    expect(normalizeRunError("GraphUnavailable: graph abc is gone")).toBe(
      "GRAPH_UNAVAILABLE: graph abc is gone",
    );
    expect(normalizeRunError("no code here")).toBe("no code here");
  });
});
