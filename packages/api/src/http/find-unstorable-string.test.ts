import { describe, expect, it } from "vitest";
import {
  describeUnstorableString,
  findUnstorableString,
} from "./find-unstorable-string.ts";

describe("findUnstorableString: what PostgreSQL's text cannot hold", () => {
  it.each([
    [
      { experimentId: "\u0000" },
      "experimentId: holds a NUL character (U+0000), which cannot be stored; remove it or escape it",
    ],
    [
      { a: { b: ["ok", "x\ud800"] } },
      "a.b.1: holds a lone UTF-16 surrogate, which cannot be stored; remove it or escape it",
    ],
    [
      { t: "\udc00 trailing low" },
      "t: holds a lone UTF-16 surrogate, which cannot be stored; remove it or escape it",
    ],
    [
      "bare\u0000",
      "input: holds a NUL character (U+0000), which cannot be stored; remove it or escape it",
    ],
    [
      { "k\u0000": 1 },
      "input (a key): holds a NUL character (U+0000), which cannot be stored; remove it or escape it",
    ],
  ])("refuses %j", (input, message) => {
    const found = findUnstorableString(input);
    expect(found && describeUnstorableString(found)).toBe(message);
  });

  it.each([
    [{ title: "emoji 😀 is a pair", n: 1, none: null }],
    [["plain", { nested: "é" }]],
    [undefined],
  ])("accepts %j", (input) => {
    expect(findUnstorableString(input)).toBeUndefined();
  });
});
