import fs from "node:fs";
import path from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { graphJsonSchema } from "./graph-json-schema.ts";

const root = path.resolve(import.meta.dirname, "..", "..");
const committed = JSON.parse(
  fs.readFileSync(path.join(root, "graph.schema.json"), "utf8"),
) as Record<string, unknown>;

describe("graph.schema.json", () => {
  it("is the schema generated from the zod schema (run fixtures/build-json-schema.ts after a format change)", () => {
    expect(committed).toEqual(JSON.parse(JSON.stringify(graphJsonSchema())));
  });

  // An independent validator (ajv) agrees with the parser on the golden files.
  const validate = new Ajv2020({ strict: false }).compile(committed);
  const golden = fs
    .readdirSync(path.join(root, "golden", "v1"))
    .map((f) => path.join(root, "golden", "v1", f));
  it.each(golden)("accepts %s", (file) => {
    expect(validate(JSON.parse(fs.readFileSync(file, "utf8")))).toBe(true);
  });

  it("rejects a graph with an unknown operation", () => {
    const graph = JSON.parse(fs.readFileSync(golden[0]!, "utf8")) as {
      nodes: { op: string }[];
    };
    graph.nodes[0]!.op = "fft";
    expect(validate(graph)).toBe(false);
  });
});
