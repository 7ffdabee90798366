import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createLoupe } from "../client/loupe.ts";
import { constant, TraceError } from "../index.ts";
import { tokenLimits } from "@loupe/graph";
import {
  GraphInvalidError,
  LoupeClientError,
  ServerUnreachableError,
} from "./loupe-client-error.ts";

// The typed errors that need no server: tracing mistakes, a graph the local
// engine refuses, a server that is not there, a model without local files.
// (Quota, unauthorized, result too large and the server's validation are in
// e2e/platform.e2e.test.ts, against a running stack.)
const modelFile = path.resolve(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "..",
  "models",
  "facts",
  "model.onnx",
);
const loupe = createLoupe({
  url: "http://127.0.0.1:59999",
  apiKey: "loupe_00000000_unused",
  modelFiles: { "facts-gpt2": modelFile },
});
afterAll(() => loupe.close());

describe("typed errors", () => {
  it("unknown module path: TraceError naming the path, with suggestions", async () => {
    const lm = await loupe.model("facts-gpt2");
    const error = (() => {
      try {
        void lm.transformer!.h![1]!.mlpp;
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(TraceError);
    expect(error).toMatchObject({
      code: "UNKNOWN_MODULE",
      details: {
        module: "transformer.h.1.mlpp",
        suggestions: ["transformer.h.1.mlp"],
      },
    });
    expect((error as Error).message).toBe(
      'unknown module "transformer.h.1.mlpp": did you mean "transformer.h.1.mlp"?',
    );
  });

  it("validation: a local run refuses a graph that does not fit, naming the script's line, the module and the node", async () => {
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
    const { issues } = error as GraphInvalidError;
    expect(issues[0]).toMatchObject({ op: "matmul" });
    expect((error as Error).message).toBe(
      `invalid graph:\n  ${issues.map((i) => i.message).join("\n  ")}`,
    );
    expect(issues[0]!.message).toMatch(
      new RegExp(
        `^src/errors/typed-errors\\.test\\.ts:\\d+: transformer\\.h\\.0\\.output: .* \\(node ${issues[0]!.nodeId}, matmul\\)$`,
      ),
    );
  });

  it("a local run refuses token ids outside the vocabulary and rows past the positions, naming the limit, before it runs", async () => {
    const lm = await loupe.model("facts-gpt2");
    const { vocabSize, maxPositions } = tokenLimits(lm.manifest);
    const saveLogits = (tokens: number[]) =>
      lm
        .trace({ tokens: [tokens] }, () => {
          lm.output.item("logits").save("logits");
        })
        .catch((e: unknown) => e);
    const badId = await saveLogits([5, vocabSize!]);
    expect(badId).toBeInstanceOf(GraphInvalidError);
    expect((badId as Error).message).toContain(
      `token id ${vocabSize} is outside model facts-gpt2's vocabulary of ${vocabSize} tokens (ids 0 to ${vocabSize! - 1})`,
    );
    const tooLong = await saveLogits(
      Array.from({ length: maxPositions! + 1 }, () => 5),
    );
    expect(tooLong).toBeInstanceOf(GraphInvalidError);
    expect((tooLong as Error).message).toContain(
      `a row of ${maxPositions! + 1} tokens (prompt plus generated tokens) is longer than model facts-gpt2's ${maxPositions} positions`,
    );
  });

  it("server unreachable: names the URL, what was being done and the system's reason", async () => {
    const lm = await loupe.model("facts-gpt2");
    const error = await lm
      .trace(
        "The Louvre",
        () => {
          lm.output.item("logits").save("logits");
        },
        { remote: true },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerUnreachableError);
    // A model with local files checks first that the server hosts the same weights.
    expect((error as Error).message).toBe(
      "cannot reach the Loupe server at http://127.0.0.1:59999 while reading model facts-gpt2 (ECONNREFUSED): is it running, and is the URL right? Check LOUPE_URL or `loupe login --url`",
    );
  });

  it("a model without local files cannot run with remote: false, and says how to fix it", async () => {
    const remoteOnly = createLoupe({ url: "http://127.0.0.1:59999" });
    const error = await remoteOnly.model("facts-gpt2").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerUnreachableError);
    const local = await loupe.localModel(modelFile);
    expect(local.modelName).toBe("facts-gpt2");
    const noFiles = createLoupe({ modelFiles: {} });
    await expect(noFiles.model("facts-gpt2")).rejects.toBeInstanceOf(
      LoupeClientError,
    );
  });
});
