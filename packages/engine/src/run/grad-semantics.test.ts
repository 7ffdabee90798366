import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  createModel,
  loadTokenizer,
  type Envoy,
  type Manifest,
  type TensorValue,
} from "@loupe/graph";
import { LoupeEngine } from "../engine.ts";
import { readModelFiles } from "../import/load-model-files.ts";
import { FIXTURES, maxRelDiff } from "../testing/fixture-engines.ts";

/**
 * One rule for `.grad` beside a write (issue 20, finding 3), as in PyTorch: a
 * value's gradient is that of the value the handle holds. A handle read
 * before a write holds the tensor before it, so its gradient flows through
 * the write; the handle `.set()` returns holds the written tensor. A child
 * whose output is the very tensor its parent returns (GPT-2's mlp.c_proj and
 * mlp) is read before the parent's write, so it has the gradient from before
 * the write. References: fixtures/grad-semantics.json (PyTorch autograd,
 * build_grad_semantics.py, on the bundled model's weights).
 */
const TOLERANCE = 1e-4;
const REPO = path.resolve(import.meta.dirname, "..", "..", "..", "..");
const ref = JSON.parse(
  readFileSync(path.join(FIXTURES, "grad-semantics.json"), "utf8"),
) as {
  layer: number;
  scale: number;
  ids: number[];
  metric_ids: [number, number];
  metric: number;
  grads: Record<"child" | "written", { shape: number[]; values: number[] }>;
};

let engine: LoupeEngine;
let manifest: Manifest;
beforeAll(async () => {
  const files = await readModelFiles(
    path.join(REPO, "models", "facts", "model.onnx"),
  );
  manifest = files.manifest;
  engine = await LoupeEngine.load(
    files.bytes,
    files.manifest,
    loadTokenizer(files.tokenizer),
  );
});
afterAll(async () => {
  await engine?.close();
});

/** The case's trace: `body` reads and writes layer L's MLP, then the metric is differentiated. */
const graphOf = (body: (mlp: Envoy) => void) => {
  const lm = createModel(manifest);
  const [a, b] = ref.metric_ids;
  return lm.trace({ tokens: [ref.ids] }, () => {
    body((lm as unknown as Envoy).transformer!.h![ref.layer]!.mlp!);
    const logits = lm.output.item("logits");
    const metric = logits.get(0, -1, a).sub(logits.get(0, -1, b));
    metric.save("metric");
    metric.backward();
  });
};
const expectGrad = (
  saves: Awaited<ReturnType<LoupeEngine["run"]>>["saves"],
  key: string,
  want: "child" | "written",
) => {
  expect(saves[key]!.shape).toEqual(ref.grads[want].shape);
  expect(
    maxRelDiff(saves[key]!.data as Float32Array, ref.grads[want].values),
    `${key} against PyTorch's ${want} gradient`,
  ).toBeLessThan(TOLERANCE);
};

it("a child sharing its parent's output tensor has the gradient from before the parent's write", async () => {
  const { saves } = await engine.run(
    graphOf((mlp) => {
      const child = mlp.c_proj!.output;
      const out = mlp.output;
      out.set(out.mul(ref.scale));
      child.grad.save("child");
    }),
  );
  expect(
    Math.abs((saves.metric!.data as Float32Array)[0]! - ref.metric),
  ).toBeLessThan(TOLERANCE);
  expectGrad(saves, "child", "child");
});

it("a handle read before a write has the gradient of what it read; the written handle that of the written value", async () => {
  let before: TensorValue | undefined;
  const { saves } = await engine.run(
    graphOf((mlp) => {
      before = mlp.output;
      const written = before.set(before.mul(ref.scale));
      before.grad.save("before");
      written.grad.save("written");
      // The output read again after the write is the written value.
      mlp.output.grad.save("again");
    }),
  );
  expectGrad(saves, "before", "child");
  expectGrad(saves, "written", "written");
  expectGrad(saves, "again", "written");
});

it("an operation inside the child (.source) follows the same rule", async () => {
  const { saves } = await engine.run(
    graphOf((mlp) => {
      const inner = mlp.c_proj!.source.reshape_1!.output;
      const out = mlp.output;
      out.set(out.mul(ref.scale));
      inner.grad.save("inner");
    }),
  );
  expectGrad(saves, "inner", "child");
});
