import path from "node:path";
import { traceSources } from "@loupe/graph";
import { afterAll, describe, expect, it } from "vitest";
import { createLoupe } from "../client/loupe.ts";
import { GraphInvalidError } from "../errors/loupe-client-error.ts";
import { constant } from "../index.ts";
import { scriptSources } from "./script-sources.ts";

const modelFile = path.resolve(
  import.meta.dirname,
  "../../../../models/facts/model.onnx",
);
const loupe = createLoupe({
  url: "http://127.0.0.1:59999",
  apiKey: "loupe_00000000_unused",
  modelFiles: { "facts-gpt2": modelFile },
});
afterAll(() => loupe.close());

describe("scriptSources", () => {
  it("names each node by its script's path in the script's project (the nearest package.json) and the line", async () => {
    const lm = await loupe.model("facts-gpt2");
    const graph = lm.graphs.trace("The Louvre", () => {
      lm.transformer!.h![0]!.output[0]!.save("h");
    });
    const line = traceSources(graph).get("n0")!.line;
    expect(scriptSources(graph)).toEqual({
      n0: `src/models/script-sources.test.ts:${line}`,
      n1: `src/models/script-sources.test.ts:${line}`,
    });
  });

  it("is undefined for a graph with no sources (one parsed from JSON)", async () => {
    const lm = await loupe.model("facts-gpt2");
    const graph = lm.graphs.trace("The Louvre", () => {
      lm.transformer!.h![0]!.output[0]!.save("h");
    });
    expect(scriptSources(structuredClone(graph))).toBeUndefined();
  });
});

describe("a local run's validation errors", () => {
  it("name the script's file and line, and the module path", async () => {
    const lm = await loupe.model("facts-gpt2");
    const error = await lm
      .trace("The Louvre", () => {
        lm.transformer!.h![0]!.output[0]!.matmul(
          constant([
            [1, 2],
            [3, 4],
          ]),
        ).save("x");
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphInvalidError);
    const [issue] = (error as GraphInvalidError).issues;
    expect(issue).toMatchObject({
      source: expect.stringMatching(
        /^src\/models\/script-sources\.test\.ts:\d+$/,
      ) as unknown,
    });
    expect(issue!.message).toMatch(
      new RegExp(
        `^src/models/script-sources\\.test\\.ts:\\d+: transformer\\.h\\.0\\.output: input 1 has shape \\[2,2\\], expected \\[\\d+,\\*\\] \\(node ${issue!.nodeId}, matmul\\)$`,
      ),
    );
  });

  it("refuse an index past the prompt's tokens before the run, naming the index, the axis and its size", async () => {
    const lm = await loupe.model("facts-gpt2");
    const error = await lm
      .trace("The Louvre", () => {
        lm.transformer!.h![0]!.output[0]!.get(":", 40, ":").save("h");
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphInvalidError);
    expect((error as Error).message).toMatch(
      /src\/models\/script-sources\.test\.ts:\d+: transformer\.h\.0\.output: index 40 is out of range for axis 1 of size \d+: the sequence axis is as long as this invoke's longest prompt, in tokens \(node n1, getitem\)/,
    );
  });
});
