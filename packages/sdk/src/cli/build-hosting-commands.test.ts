import path from "node:path";
import { TRPCClientError } from "@trpc/client";
import { describe, expect, it } from "vitest";
import { ModelUnavailableError } from "../errors/loupe-client-error.ts";
import { toClientError } from "../errors/to-client-error.ts";
import {
  nameFromManifest,
  resolveModelSource,
} from "./build-hosting-commands.ts";

const facts = path.resolve(
  import.meta.dirname,
  "../../../../models/facts/model.onnx",
);

describe("loupe models host", () => {
  it("sends an s3:// URL as given and a path made absolute", () => {
    expect(resolveModelSource("s3://b/gpt2/model.onnx", "/work")).toBe(
      "s3://b/gpt2/model.onnx",
    );
    expect(resolveModelSource("models/gpt2/model.onnx", "/work")).toBe(
      "/work/models/gpt2/model.onnx",
    );
    expect(resolveModelSource("/srv/gpt2/model.onnx", "/work")).toBe(
      "/srv/gpt2/model.onnx",
    );
  });

  it("reads the model's name from the manifest beside a readable .onnx, and none otherwise", async () => {
    expect(await nameFromManifest(facts)).toBe("facts-gpt2");
    expect(await nameFromManifest("/nowhere/model.onnx")).toBeUndefined();
    expect(await nameFromManifest("s3://b/model.onnx")).toBeUndefined();
  });
});

it("a run on a model that is not online becomes ModelUnavailableError naming it", () => {
  const message =
    "model big is not hosted (an administrator unhosted it): nothing was queued";
  const error = toClientError(
    new TRPCClientError(message, {
      result: {
        error: {
          message,
          code: -32000,
          data: {
            code: "PRECONDITION_FAILED",
            httpStatus: 412,
            loupe: {
              code: "MODEL_UNAVAILABLE",
              model: "big",
              state: "unhosted",
              reason: null,
            },
          },
        },
      },
    }),
    "http://localhost:3000",
    "submitting a run of big",
  );
  expect(error).toBeInstanceOf(ModelUnavailableError);
  expect(error).toMatchObject({
    code: "MODEL_UNAVAILABLE",
    model: "big",
    state: "unhosted",
    message: `${message}; ask an administrator to host it again`,
  });
});
