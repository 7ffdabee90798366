import { describe, expect, it } from "vitest";
import { formatIndex, indexedShape, parseIndex } from "./index-spec.ts";

const all = { slice: [null, null, null] };

describe("parseIndex", () => {
  it.each([
    [
      [":", 6, ":"],
      [all, 6, all],
    ],
    [[-1], [-1]],
    [["1:"], [{ slice: [1, null, null] }]],
    [[":-1"], [{ slice: [null, -1, null] }]],
    [["::2"], [{ slice: [null, null, 2] }]],
    [["1:9:2"], [{ slice: [1, 9, 2] }]],
    [["::-1"], [{ slice: [null, null, -1] }]],
    [[[394, 5490]], [{ list: [394, 5490] }]],
    [
      ["...", 0],
      ["...", 0],
    ],
    [
      [null, ":"],
      [null, all],
    ],
    [["[:, -1, [1, 2]]"], [all, -1, { list: [1, 2] }]],
    [[":, -1, [1, 2]"], [all, -1, { list: [1, 2] }]],
    [["0, ..., 1:3"], [0, "...", { slice: [1, 3, null] }]],
    [[" -1 "], [-1]],
    [["[..., None, 3]"], ["...", null, 3]],
  ])("parses %j", (args, expected) => {
    expect(parseIndex(args)).toEqual(expected);
  });

  it.each([
    [[1.5], "index item 0: expected an integer, got 1.5"],
    [
      ["a:b"],
      'index item 0: expected an integer, a slice like "1:5", a list of integers, "..." or null, got "a:b"',
    ],
    [["::0"], 'index item 0: slice step cannot be zero ("::0")'],
    [[[]], "index item 0: expected a non-empty list of integers, got []"],
    [[["x"]], 'index item 0: expected a non-empty list of integers, got ["x"]'],
    [["...", "..."], "an index can have only one ellipsis (...)"],
    [
      [{}],
      'index item 0: expected an integer, a slice like "1:5", a list of integers, "..." or null, got {}',
    ],
    [["[:, [1, 2]"], 'index "[:, [1, 2]": unbalanced ['],
    [[":, [1, 2"], 'index ":, [1, 2": unbalanced ['],
    [
      ["0, "],
      'index item 1: expected an integer, a slice like "1:5", a list of integers, "..." or null, got ""',
    ],
  ])("rejects %j: %s", (args, message) => {
    expect(() => parseIndex(args)).toThrow(message);
  });
});

describe("indexedShape", () => {
  // Lengths checked against Python: len(range(10)[slice]).
  it.each([
    [[10], ["2:5"], [3]],
    [[10], ["::3"], [4]],
    [[10], ["::-1"], [10]],
    [[10], ["8:2:-2"], [3]],
    [[10], ["-3:"], [3]],
    [[10], [":-20"], [0]],
    [[10], ["20:"], [0]],
    [[10], ["-100::-1"], [0]],
    [[10], ["5::-1"], [6]],
    [
      [2, 5, 768],
      [":", -1, ":"],
      [2, 768],
    ],
    [
      [2, 5, 768],
      ["...", 0],
      [2, 5],
    ],
    [
      [2, 5, 768],
      [null, "...", null],
      [1, 2, 5, 768, 1],
    ],
    [
      [2, 5, 768],
      [":", ":", [1, 2, 3]],
      [2, 5, 3],
    ],
    [
      ["batch", "seq", 768],
      [":", 6, ":"],
      ["batch", 768],
    ],
    [
      ["batch", "seq", 768],
      [":", "1:", ":"],
      ["batch", "seq[1:]", 768],
    ],
    [["batch", "seq", 768], [":"], ["batch", "seq", 768]],
  ])("shape %j indexed by %j is %j", (shape, args, expected) => {
    expect(indexedShape(shape, parseIndex(args))).toEqual({ shape: expected });
  });

  it.each([
    [[2, 5], [0, 5], "index 5 is out of range for axis 1 of size 5"],
    [[2, 5], [-3], "index -3 is out of range for axis 0 of size 2"],
    [[2, 5], [":", [1, 7]], "index 7 is out of range for axis 1 of size 5"],
    [[2, 5], [0, 0, 0], "index has 3 items for a tensor of rank 2"],
    [[2, 5], [[0], [1]], "at most one index list per index is supported"],
  ])("shape %j indexed by %j: %s", (shape, args, error) => {
    expect(indexedShape(shape, parseIndex(args))).toEqual({ error });
  });
});

it("renders indices in NumPy syntax", () => {
  expect(formatIndex(parseIndex([":", -1, "1:9:2", [1, 2], "...", null]))).toBe(
    "[:, -1, 1:9:2, [1, 2], ..., None]",
  );
});
