import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  constant,
  createModel,
  loadTokenizer,
  type Envoy,
  type Graph,
  type Manifest,
  type SavedTensor,
} from "@loupe/graph";
import { LoupeEngine } from "../engine.ts";
import { importOnnxModel } from "../import/import-onnx-model.ts";
import { loadModelFiles, readModelFiles } from "../import/load-model-files.ts";
import { readRawModel } from "../onnx/onnx-bytes.ts";
import { FIXTURES } from "../testing/fixture-engines.ts";
import {
  externalizeModelFile,
  readWeightBytes,
} from "./externalize-model-file.ts";
import { splitExternalData } from "../testing/split-external-data.ts";
import {
  buildSyntheticModel,
  syntheticWeightBytes,
} from "../testing/synthetic-model.ts";

const tokenizerJson: unknown = JSON.parse(
  fs.readFileSync(path.join(FIXTURES, "tokenizer.json"), "utf8"),
);
const BUNDLED = path.resolve(FIXTURES, "..", "..", "..", "models", "facts");

let scratch: string;
beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "loupe-external-"));
});
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** Writes `model` (and its manifest file, as `loupe models import` does) into a folder. */
async function writeImported(
  dir: string,
  files: Record<string, Uint8Array>,
  name: string,
): Promise<{ onnxPath: string; manifest: Manifest }> {
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, bytes] of Object.entries(files))
    fs.writeFileSync(path.join(dir, file), bytes);
  const onnxPath = path.join(dir, "model.onnx");
  const { manifest } = await importOnnxModel(files["model.onnx"]!, name, {
    externalDataDir: dir,
  });
  fs.writeFileSync(
    path.join(dir, "model.manifest.json"),
    JSON.stringify({ manifest, tokenizer: null }),
  );
  return { onnxPath, manifest };
}

const bytesOf = (t: SavedTensor) =>
  Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);

/** Graphs that read weights, hooks, write hooks, call a module and differentiate. */
function graphsFor(manifest: Manifest, generate: boolean): Graph[] {
  const lm = createModel<Envoy & Record<string, Envoy>>(manifest);
  const root = lm as unknown as Envoy;
  const block = (i: number) => root.transformer!.h![i]!;
  const width = manifest.modules
    .find((m) => m.path === "transformer.h.0")!
    .calls[0]!.outputs[0]!.shape.at(-1) as number;
  const steering = Array.from({ length: width }, (_, j) => Math.sin(j));
  const graphs = [
    lm.trace("The truth is the", () => {
      block(0).output[0]!.save("h0");
      lm.output.item("logits").save("logits");
    }),
    lm.trace("The truth is the", () => {
      const h = block(0).output[0]!;
      h.set(h.add(constant(steering, "float32")));
      root.lm_head!.call(block(1).output[0]!).save("lens");
      lm.output.item("logits").save("logits");
    }),
    lm.trace("The truth is the", () => {
      block(0).output[0]!.grad.save("grad");
      const logits = lm.output.item("logits");
      logits
        .get(0, -1, 3)
        .sub(logits.get(0, -1, 5))
        .backward();
    }),
  ];
  if (generate)
    graphs.push(
      lm.generate("The truth is", { maxNewTokens: 4 }, () => {
        block(0).output[0]!.save("h");
      }),
    );
  return graphs;
}

describe("exports whose weights are in external data files", () => {
  for (const fixture of [
    { name: "gpt2-tiny", file: path.join(FIXTURES, "gpt2-tiny.onnx") },
    { name: "facts-gpt2", file: path.join(BUNDLED, "model.onnx") },
  ])
    it(`${fixture.name}: split at test time, imported and run, bitwise equal to the inline file`, async () => {
      const inline = new Uint8Array(fs.readFileSync(fixture.file));
      const split = splitExternalData(inline, "model.onnx.data");
      expect(split.data.length).toBeGreaterThan(inline.length * 0.8);
      const { onnxPath, manifest } = await writeImported(
        path.join(scratch, fixture.name),
        { "model.onnx": split.model, "model.onnx.data": split.data },
        fixture.name,
      );
      const inlineManifest = (await importOnnxModel(inline, fixture.name))
        .manifest;
      const tokenizer = loadTokenizer(tokenizerJson);
      const a = await LoupeEngine.load(inline, inlineManifest, tokenizer);
      const b = await loadModelFiles(onnxPath);
      const withTokenizer = await LoupeEngine.load(
        split.model,
        manifest,
        tokenizer,
        { externalDataDir: path.dirname(onnxPath) },
      );
      try {
        expect(b.weightBytes).toBe(a.weightBytes);
        const generate = a.hasKvCache;
        const graphsA = graphsFor(inlineManifest, generate);
        const graphsB = graphsFor(manifest, generate);
        for (let g = 0; g < graphsA.length; g++) {
          const ra = await a.run(graphsA[g]!);
          const rb = await withTokenizer.run(graphsB[g]!);
          expect(Object.keys(rb.saves).sort()).toEqual(
            Object.keys(ra.saves).sort(),
          );
          for (const [name, t] of Object.entries(ra.saves))
            expect(bytesOf(rb.saves[name]!).equals(bytesOf(t)), name).toBe(
              true,
            );
        }
        // A weight read by a graph comes from the data file.
        const lm = createModel<Envoy & Record<string, Envoy>>(manifest);
        const wte = (lm as unknown as Envoy).transformer!.wte!;
        const read = await b.run(
          lm.trace({ tokens: [[1, 2]] }, () => {
            wte.param("weight").save("w");
          }),
        );
        const lmA = createModel<Envoy & Record<string, Envoy>>(inlineManifest);
        const readA = await a.run(
          lmA.trace({ tokens: [[1, 2]] }, () => {
            (lmA as unknown as Envoy)
              .transformer!.wte!.param("weight")
              .save("w");
          }),
        );
        expect(bytesOf(read.saves.w!).equals(bytesOf(readA.saves.w!))).toBe(
          true,
        );
      } finally {
        await Promise.all([a.close(), b.close(), withTokenizer.close()]);
      }
    });

  it("the model hash covers the external data: a changed weight byte is refused at load", async () => {
    const inline = new Uint8Array(
      fs.readFileSync(path.join(FIXTURES, "gpt2-tiny.onnx")),
    );
    const split = splitExternalData(inline, "weights/model.onnx.data");
    const dir = path.join(scratch, "tampered");
    fs.mkdirSync(path.join(dir, "weights"), { recursive: true });
    fs.writeFileSync(path.join(dir, "weights", "model.onnx.data"), split.data);
    const { onnxPath, manifest } = await writeImported(
      dir,
      { "model.onnx": split.model },
      "gpt2-tiny",
    );
    expect(manifest.model.hash).not.toBe(
      (await importOnnxModel(inline, "gpt2-tiny")).manifest.model.hash,
    );
    await readModelFiles(onnxPath); // as imported: accepted
    const data = path.join(dir, "weights", "model.onnx.data");
    const bytes = fs.readFileSync(data);
    bytes[1000] = bytes[1000]! ^ 1;
    fs.writeFileSync(data, bytes);
    await expect(readModelFiles(onnxPath)).rejects.toThrow(
      /is not the file .* was imported from/,
    );
  });

  it("a missing data file, or bytes without their folder, are named", async () => {
    const inline = new Uint8Array(
      fs.readFileSync(path.join(FIXTURES, "gpt2-tiny.onnx")),
    );
    const split = splitExternalData(inline, "model.onnx.data");
    await expect(importOnnxModel(split.model, "gpt2-tiny")).rejects.toThrow(
      /external file model\.onnx\.data.*give the folder it is in/,
    );
    const dir = path.join(scratch, "missing");
    fs.mkdirSync(dir, { recursive: true });
    await expect(
      importOnnxModel(split.model, "gpt2-tiny", { externalDataDir: dir }),
    ).rejects.toThrow(/model\.onnx\.data/);
  });
});

describe("a large file that keeps its weights inline", () => {
  it("is walked on disk: its weights copied out in chunks, the rest kept, results bitwise equal", async () => {
    for (const file of [
      path.join(FIXTURES, "gpt2-tiny.onnx"),
      path.join(BUNDLED, "model.onnx"),
    ]) {
      const inline = new Uint8Array(fs.readFileSync(file));
      const { manifest } = await importOnnxModel(inline, "m");
      const folder = path.join(
        scratch,
        "walked",
        path.basename(path.dirname(file)),
      );
      const walked = externalizeModelFile(file);
      walked.writeWeights(folder);
      const small = walked.model;
      expect(small.length).toBeLessThan(inline.length / 4);
      expect(readRawModel(small).nodes.length).toBe(
        readRawModel(inline).nodes.length,
      );
      const tokenizer = loadTokenizer(tokenizerJson);
      const a = await LoupeEngine.load(inline, manifest, tokenizer);
      const b = await LoupeEngine.load(small, manifest, tokenizer, {
        externalDataDir: folder,
      });
      try {
        const [ga, gb] = [a, b].map(() => graphsFor(manifest, a.hasKvCache));
        for (let g = 0; g < ga!.length; g++) {
          const [ra, rb] = [await a.run(ga![g]!), await b.run(gb![g]!)];
          for (const [name, t] of Object.entries(ra.saves))
            expect(bytesOf(rb.saves[name]!).equals(bytesOf(t)), name).toBe(
              true,
            );
        }
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
      expect(readWeightBytes(file)).toBe(a.weightBytes);
    }
  });
});

describe("memory", () => {
  it("while a model is loaded, the process's external and array buffer memory stays below 10% of its weights", async () => {
    // Over 128 MiB, so the inline file is loaded without being read whole.
    const size = { layers: 10, width: 640, vocab: 2000 };
    const weights = syntheticWeightBytes(size); // ~141 MB
    const model = buildSyntheticModel(size);
    const inlineDir = path.join(scratch, "big-inline");
    const splitDir = path.join(scratch, "big-external");
    fs.mkdirSync(inlineDir, { recursive: true });
    fs.writeFileSync(path.join(inlineDir, "model.onnx"), model);
    const split = splitExternalData(model, "model.onnx.data");
    fs.mkdirSync(splitDir, { recursive: true });
    fs.writeFileSync(path.join(splitDir, "model.onnx"), split.model);
    fs.writeFileSync(path.join(splitDir, "model.onnx.data"), split.data);
    const probe = path.join(
      import.meta.dirname,
      "..",
      "testing",
      "memory-probe.ts",
    );
    for (const dir of [inlineDir, splitDir]) {
      const out = execFileSync(
        process.execPath,
        ["--expose-gc", "--import", "tsx", probe, path.join(dir, "model.onnx")],
        {
          encoding: "utf8",
          env: { ...process.env, LOUPE_WEIGHTS_DIR: scratch },
        },
      );
      const m = JSON.parse(out.trim().split("\n").at(-1)!) as {
        weightBytes: number;
        jsBytes: number;
        logitsFinite: boolean;
      };
      expect(m.weightBytes).toBe(weights);
      expect(m.logitsFinite).toBe(true);
      expect(m.jsBytes, `${dir}: external + arrayBuffers`).toBeLessThan(
        0.1 * weights,
      );
    }

    // A large file that is not the one imported is refused before its
    // weights are copied anywhere (a weights file is reused by its name).
    const onnx = path.join(inlineDir, "model.onnx");
    const bytes = fs.readFileSync(onnx);
    bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 1;
    fs.writeFileSync(onnx, bytes);
    const fresh = path.join(scratch, "tampered-weights");
    await expect(loadModelFiles(onnx, { weightsDir: fresh })).rejects.toThrow(
      /is not the file .* was imported from/,
    );
    expect(fs.existsSync(fresh)).toBe(false);
  });
});
