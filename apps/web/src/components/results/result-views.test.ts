import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { buildResultViews, type ResultView } from "../../results/result-views";
import { ResultViews } from "./result-views";

/** Server-rendered markup (charts draw only in the browser, after an effect). */
const render = (views: ResultView[]) =>
  renderToStaticMarkup(createElement(ResultViews, { views }));

const attrs = (html: string, name: string) =>
  [...html.matchAll(new RegExp(`${name}="([^"]*)"`, "g"))].map((m) => m[1]);

describe("ResultViews", () => {
  it("renders one labelled section per view, marked with its kind and name", () => {
    const html = render(
      buildResultViews(
        {
          "diff[layer,position]": {
            dtype: "float32",
            shape: [2, 2],
            data: Float32Array.from([0.1, -0.2, 0.3, 1 / 3]),
          },
          layer0: {
            dtype: "float32",
            shape: [1, 3],
            data: Float32Array.from([1, 2, 3]),
          },
          layer1: {
            dtype: "float32",
            shape: [1, 3],
            data: Float32Array.from([3, 2, 1]),
          },
          logits: {
            dtype: "float32",
            shape: [2, 3],
            data: new Float32Array(6),
          },
          curve: {
            dtype: "float32",
            shape: [4],
            data: Float32Array.from([1, 2, 4, 8]),
          },
          loss: { dtype: "float32", shape: [], data: Float32Array.from([0.5]) },
        },
        { vocabSize: 3, decode: (ids) => ` t${ids[0]}` },
      ),
    );
    expect(
      attrs(html, "data-testid").filter((t) => t!.startsWith("result-")),
    ).toEqual([
      "result-heatmap",
      "result-logit-lens",
      "result-top-k",
      "result-line",
      "result-tensor",
    ]);
    expect(attrs(html, "data-name")).toEqual([
      "diff[layer,position]",
      "layer",
      "logits",
      "curve",
      "loss",
    ]);
    expect(html).toMatch(/<section aria-labelledby="([^"]+)"[^>]*><h3 id="\1"/);
    expect(html).toContain('<code title="token 0">&quot; t0&quot;</code>');
  });

  it("puts each heatmap value's exact float in data-value", () => {
    const data = Float32Array.from([0.1, -0.2, 0.3, 1 / 3]);
    const html = render(
      buildResultViews({ h: { dtype: "float32", shape: [2, 2], data } }, {}),
    );
    const cells = [
      ...html.matchAll(
        /<td[^>]*data-testid="heatmap-cell" data-row="(\d)" data-col="(\d)" data-value="([^"]*)">([^<]*)<\/td>/g,
      ),
    ].map((m) => [Number(m[1]), Number(m[2]), m[3], m[4]]);
    expect(cells).toEqual(
      [...data].map((v, k) => [
        Math.floor(k / 2),
        k % 2,
        String(v),
        v.toFixed(4),
      ]),
    );
    expect(Number(cells[0]![2])).toBe(data[0]);
  });

  it("draws an attention pattern per head with token labels and a table to 3 decimals, switchable to the tensor summary", () => {
    // Two heads over [CLS] a b: head 0 attends evenly, head 1 to itself.
    const third = 1 / 3;
    const data = Float32Array.from([
      ...[third, third, third, third, third, third, third, third, third],
      ...[1, 0, 0, 0, 1, 0, 0, 0, 1],
    ]);
    const html = render(
      buildResultViews(
        {
          "attn[head,query,key]": {
            dtype: "float32",
            shape: [1, 2, 3, 3],
            data,
          },
        },
        { promptTokens: ["[CLS]", " a", " b"] },
      ),
    );
    expect(html).toContain('data-testid="view-switch"');
    expect(html).toContain('data-shown="Attention"');
    expect(html).toMatch(
      /<button type="button" aria-pressed="true">Attention<\/button><button type="button" aria-pressed="false">Tensor summary<\/button>/,
    );
    expect(
      attrs(html, "data-testid").filter((t) => t!.startsWith("result-")),
    ).toEqual(["result-attention"]);
    expect(attrs(html, "data-head")).toEqual(["0", "1", "0"]);
    expect(html).toContain('<th scope="col">0: &quot;[CLS]&quot;</th>');
    expect(html).toContain('<th scope="row">2: &quot; b&quot;</th>');
    const cells = [
      ...html.matchAll(
        /data-testid="attention-cell" data-query="(\d)" data-key="(\d)" data-value="([^"]*)">([^<]*)<\/td>/g,
      ),
    ].map((m) => [Number(m[1]), Number(m[2]), m[3], m[4]]);
    expect(cells).toHaveLength(9);
    expect(cells[0]).toEqual([0, 0, String(data[0]), "0.333"]);
  });

  it("says so when a run saved nothing", () => {
    expect(render([])).toContain("This run saved no tensors.");
  });
});
