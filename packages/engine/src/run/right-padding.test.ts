import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Envoy } from "@loupe/graph";
import {
  FIXTURES,
  loadFixture,
  maxAbsDiff,
  type LoadedFixture,
} from "../testing/fixture-engines.ts";

/**
 * Rows of different lengths in one invoke, on an export without a
 * position_ids input (issue 20, finding 5): the engine pads such rows on the
 * right (GPT-2 computes positions inside the graph, so left padding would
 * shift them), yet every invoke sees its rows right-aligned, as left padding
 * lays them out: position -1 is each row's own last token. Checked against
 * PyTorch (fixtures/reference.json: each prompt alone, last position).
 */
const TOLERANCE = 1e-4;
interface Recorded {
  values: number[];
}
const reference = JSON.parse(
  readFileSync(path.join(FIXTURES, "reference.json"), "utf8"),
) as {
  models: Record<
    string,
    {
      cases: {
        input_ids: number[];
        logits_last: Recorded;
        activations: Record<"mlp" | "block", Recorded>;
      }[];
    }
  >;
};
const cases = reference.models["gpt2-tiny"]!.cases;
const [LONG, MID, SHORT] = cases as [
  (typeof cases)[0],
  (typeof cases)[0],
  (typeof cases)[0],
];

let fx: LoadedFixture;
const lm = () => fx.lm as unknown as Envoy;
beforeAll(async () => {
  fx = await loadFixture("gpt2-tiny-nopos");
});
afterAll(async () => {
  await fx.engine.close();
});

const rowsOf = (data: Float32Array, rows: number) => {
  const n = data.length / rows;
  return [...Array(rows).keys()].map((r) => data.slice(r * n, (r + 1) * n));
};

it("reads position -1 of every row of one invoke as that row's last token", async () => {
  const { saves } = await fx.engine.run(
    fx.lm.trace(
      { tokens: [LONG.input_ids, SHORT.input_ids, MID.input_ids] },
      () => {
        lm().transformer!.h![0]!.mlp!.output.get(":", -1).save("mlp");
        lm().transformer!.h![1]!.output[0]!.get(":", -1).save("block");
        fx.lm.output.item("logits").get(":", -1).save("last");
      },
    ),
  );
  const last = rowsOf(saves.last!.data as Float32Array, 3);
  const block = rowsOf(saves.block!.data as Float32Array, 3);
  const mlp = rowsOf(saves.mlp!.data as Float32Array, 3);
  [LONG, SHORT, MID].forEach((c, r) => {
    expect(maxAbsDiff(last[r]!, c.logits_last.values), `row ${r}`).toBeLessThan(
      TOLERANCE,
    );
    expect(maxAbsDiff(block[r]!, c.activations.block.values)).toBeLessThan(
      TOLERANCE,
    );
    expect(maxAbsDiff(mlp[r]!, c.activations.mlp.values)).toBeLessThan(
      TOLERANCE,
    );
  });
});

it("writes at position -1 of each row land on that row's last token, as on the left-padded export", async () => {
  const graph = (model: LoadedFixture) =>
    model.lm.trace({ tokens: [LONG.input_ids, SHORT.input_ids] }, () => {
      const h = (model.lm as unknown as Envoy).transformer!.h![0]!.output[0]!;
      h.set([":", -1, ":"], h.get(":", -1, ":").mul(0));
      model.lm.output.item("logits").get(":", -1).save("last");
    });
  const left = await loadFixture("gpt2-tiny");
  try {
    const want = (await left.engine.run(graph(left))).saves.last!;
    const got = (await fx.engine.run(graph(fx))).saves.last!;
    expect(got.shape).toEqual(want.shape);
    expect(
      maxAbsDiff(got.data as Float32Array, want.data as Float32Array),
    ).toBeLessThan(TOLERANCE);
  } finally {
    await left.engine.close();
  }
});

it("takes gradients through the aligned rows as on the left-padded export", async () => {
  const graph = (model: LoadedFixture) =>
    model.lm.trace({ tokens: [LONG.input_ids, SHORT.input_ids] }, () => {
      const mlp = (model.lm as unknown as Envoy).transformer!.h![0]!.mlp!
        .output;
      mlp.grad.get(":", -1).save("grad");
      const logits = model.lm.output.item("logits");
      logits
        .get(1, -1, 5)
        .sub(logits.get(0, -1, 7))
        .backward();
    });
  const left = await loadFixture("gpt2-tiny");
  try {
    const want = (await left.engine.run(graph(left))).saves.grad!;
    const got = (await fx.engine.run(graph(fx))).saves.grad!;
    expect(got.shape).toEqual([2, 64]);
    expect(
      maxAbsDiff(got.data as Float32Array, want.data as Float32Array),
    ).toBeLessThan(TOLERANCE);
  } finally {
    await left.engine.close();
  }
});
