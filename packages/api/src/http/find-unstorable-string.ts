/** A string in a request that PostgreSQL's text columns (and UTF-8) cannot hold. */
export interface UnstorableString {
  /** Where it is in the input: `experimentId`, `graph.nodes.3.label`, `0` for a bare string. */
  readonly path: string;
  /** What is wrong with it, for the error message. */
  readonly problem: "a NUL character (U+0000)" | "a lone UTF-16 surrogate";
}

// A NUL, a high surrogate not followed by a low one, or a low one not preceded by a high one.
const UNSTORABLE =
  // eslint-disable-next-line no-control-regex -- NUL is the character refused
  /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The first string (object keys included) in an untrusted value that holds a
 * NUL character or a lone UTF-16 surrogate, or undefined. PostgreSQL rejects
 * NUL in text, and a lone surrogate has no UTF-8 form (it would be stored as
 * U+FFFD, so what was written is not what is read): such input is the
 * client's mistake, refused as a 400 naming the field, never a 500 from
 * the database. Walks at most `maxDepth` levels (deeper input is refused by
 * its schema anyway).
 */
export function findUnstorableString(
  value: unknown,
  path = "",
  maxDepth = 64,
): UnstorableString | undefined {
  if (typeof value === "string") {
    const match = UNSTORABLE.exec(value);
    if (!match) return undefined;
    return {
      path: path || "input",
      problem:
        match[0] === "\u0000"
          ? "a NUL character (U+0000)"
          : "a lone UTF-16 surrogate",
    };
  }
  if (typeof value !== "object" || value === null || maxDepth === 0)
    return undefined;
  const entries = Array.isArray(value)
    ? value.map((v, i) => [String(i), v] as const)
    : Object.entries(value as Record<string, unknown>);
  for (const [key, item] of entries) {
    const at = path ? `${path}.${key}` : key;
    const inKey = findUnstorableString(key, at);
    if (inKey && !Array.isArray(value))
      return { path: `${path || "input"} (a key)`, problem: inKey.problem };
    const found = findUnstorableString(item, at, maxDepth - 1);
    if (found) return found;
  }
  return undefined;
}

/** The 400's message: "experimentId: holds a NUL character (U+0000), which cannot be stored". */
export const describeUnstorableString = (found: UnstorableString): string =>
  `${found.path}: holds ${found.problem}, which cannot be stored; remove it or escape it`;
