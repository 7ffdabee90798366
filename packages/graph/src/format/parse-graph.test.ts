import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { gpt2 } from "../testing/gpt2-fixture.ts";
import type { TensorValue } from "../trace/tensor-value.ts";
import { canonicalJson } from "./canonical-json.ts";
import { hashGraph } from "./hash-graph.ts";
import { parseGraph } from "./parse-graph.ts";
import { serializeGraph } from "./serialize-graph.ts";

const golden = JSON.parse(
  fs.readFileSync(
    path.resolve(
      import.meta.dirname,
      "..",
      "..",
      "golden",
      "v1",
      "example-4-patching.json",
    ),
    "utf8",
  ),
) as Record<string, unknown> & { nodes: Record<string, unknown>[] };
const withNode = (i: number, patch: Record<string, unknown>) => ({
  ...golden,
  nodes: golden.nodes.map((n, k) => (k === i ? { ...n, ...patch } : n)),
});
const messages = (input: unknown) => {
  const r = parseGraph(input);
  return r.ok ? [] : r.issues.map((i) => i.message);
};

describe("parseGraph", () => {
  it.each<[string, unknown, string[]]>([
    ["an array", [], ["document: expected a graph object, got an array of 0"]],
    [
      "another format",
      { ...golden, format: "nnsight" },
      ['format: expected "loupe.graph", got "nnsight"'],
    ],
    [
      "a newer version",
      { ...golden, version: 7 },
      [
        "version: expected a version this Loupe reads (up to 1); the graph was written by a newer Loupe, got 7",
      ],
    ],
    [
      "a missing trace list",
      { ...golden, traces: undefined },
      ["traces: expected array, got nothing"],
    ],
    [
      "an unknown field",
      { ...golden, extra: 1 },
      ['document: expected no other fields, got unknown field "extra"'],
    ],
    [
      "an unknown operation",
      withNode(1, { op: "fft" }),
      [
        'nodes[1].op: expected a known operation (read, write, add, …), got "fft"',
      ],
    ],
    [
      "a bad slot",
      withNode(0, { slot: "middle" }),
      [
        'nodes[0].slot: expected one of "input", "output", "source", got "middle"',
      ],
    ],
    [
      "a reference to a later node",
      withNode(1, { args: ["n4"] }),
      ['nodes[1].args[0]: expected the id of an earlier node, got "n4"'],
    ],
    [
      "a bad node id",
      withNode(0, { id: "x" }),
      [
        `nodes[0].id: expected a node id like n12, got "x"`,
        `nodes[1].args[0]: expected the id of an earlier node, got "n0"`,
      ],
    ],
    [
      "an invoke that does not exist",
      withNode(0, { invoke: 5 }),
      ["nodes[0].invoke: expected an invoke index below 2 (trace 0), got 5"],
    ],
    [
      "a duplicate id (and so a missing one)",
      withNode(1, { id: "n0" }),
      [
        'nodes[1].id: expected an id not used by an earlier node, got "n0"',
        'nodes[3].args[0]: expected the id of an earlier node, got "n1"',
      ],
    ],
    [
      "a bad module path",
      withNode(0, { module: "layers..5" }),
      [
        'nodes[0].module: expected a dotted module path like transformer.h.5.mlp, got "layers..5"',
      ],
    ],
  ])("rejects %s with a message naming the place", (_, input, expected) => {
    expect(messages(input)).toEqual(expected);
  });

  it("rejects text that is not JSON", () => {
    expect(messages("{nope")).toEqual([
      expect.stringMatching(
        /^document: expected JSON text, got invalid JSON \(.+\)$/,
      ),
    ]);
  });

  it("reads the same graph whatever its key order and whitespace, with one hash", () => {
    const reverseKeys = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(reverseKeys)
        : v && typeof v === "object"
          ? Object.fromEntries(
              Object.entries(v)
                .reverse()
                .map(([k, x]) => [k, reverseKeys(x)]),
            )
          : v;
    const shuffled = reverseKeys(golden);
    const a = parseGraph(JSON.stringify(golden, null, 4));
    const b = parseGraph(shuffled);
    expect(a.ok && b.ok && hashGraph(a.value) === hashGraph(b.value)).toBe(
      true,
    );
  });

  it("refuses an op named like an Object.prototype member (valueOf, constructor) as unknown", () => {
    for (const op of ["valueOf", "constructor", "toString", "__proto__"]) {
      const result = parseGraph({
        format: "loupe.graph",
        version: 1,
        model: "m",
        traces: [{ invokes: [{ input: { kind: "text", prompts: ["x"] } }] }],
        nodes: [{ id: "n0", op, trace: 0, invoke: 0, args: [] }],
      });
      expect(result.ok).toBe(false);
    }
  });

  it("never throws or hangs on malformed input", () => {
    const mutated = fc
      .tuple(
        fc.nat(golden.nodes.length - 1),
        fc.constantFrom(
          "op",
          "args",
          "id",
          "index",
          "module",
          "trace",
          "item",
          "slot",
        ),
        fc.jsonValue(),
      )
      .map(([i, key, value]) => withNode(i, { [key]: value }));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.jsonValue(), mutated), (input) => {
        const result = parseGraph(input);
        expect(typeof result.ok).toBe("boolean");
        if (!result.ok) expect(result.issues.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });

  it("round-trips random valid graphs unchanged", () => {
    type Step = (x: TensorValue) => TensorValue;
    const steps: fc.Arbitrary<Step>[] = [
      fc.integer({ min: -3, max: 3 }).map((k) => (x: TensorValue) => x.add(k)),
      fc
        .double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 })
        .map((k) => (x: TensorValue) => x.mul(k)),
      fc.constant((x: TensorValue) => x.relu()),
      fc.constant((x: TensorValue) => x.softmax(-1)),
      fc.constant((x: TensorValue) => x.get(":", -1)),
      fc
        .integer({ min: 1, max: 5 })
        .map((k) => (x: TensorValue) => x.topk(k).values),
      fc.constant((x: TensorValue) => x.mean(-1, true)),
    ];
    fc.assert(
      fc.property(
        fc.nat(11),
        fc.array(fc.oneof(...steps), { maxLength: 12 }),
        fc.boolean(),
        (layer, chain, write) => {
          const lm = gpt2();
          const graph = lm.trace("x", () => {
            const h = lm.layers[layer]!.output[0];
            const v = chain.reduce((acc, step) => step(acc), h);
            if (write) h.set(h.add(v.mean()));
            v.save("v");
          });
          const text = serializeGraph(graph);
          const parsed = parseGraph(text);
          expect(parsed.ok).toBe(true);
          if (parsed.ok) expect(serializeGraph(parsed.value)).toBe(text);
          expect(canonicalJson(JSON.parse(text))).toBe(text);
        },
      ),
      { numRuns: 200 },
    );
  });
});
