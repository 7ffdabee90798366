import { OnnxElementType } from "@loupe/graph";
import {
  writeModel,
  type NodeSpec,
  type TensorData,
} from "../onnx/onnx-bytes.ts";

/** The size of a synthetic model (see buildSyntheticModel). */
export interface SyntheticModelSize {
  readonly layers: number;
  /** Hidden width; each layer's MLP is width x 4·width x width. */
  readonly width: number;
  readonly vocab: number;
  /** Seed of the weights (same seed, same bytes). */
  readonly seed?: number;
}

/** Bytes of the weights of a synthetic model of this size. */
export function syntheticWeightBytes(size: SyntheticModelSize): number {
  const { layers, width: d, vocab } = size;
  return 4 * (2 * vocab * d + layers * (8 * d * d + 5 * d));
}

/**
 * An ONNX model of any size, built in memory, that Loupe imports as a GPT-2
 * style model: token embedding, `layers` residual MLP blocks
 * (`transformer.h.<i>`, each `x + c_proj(tanh(c_fc(x)))`) and an untied
 * `lm_head`, with the TorchScript exporter's node names, so the importer
 * recovers its modules and stages. No attention: it is for tests of loading,
 * memory and hosting at sizes no fixture file should have (hundreds of MB),
 * generated at test time rather than committed.
 */
export function buildSyntheticModel(size: SyntheticModelSize): Uint8Array {
  const { layers, width: d, vocab } = size;
  const random = uniform(size.seed ?? 1);
  const weight = (name: string, dims: number[], scale: number): TensorData => {
    const count = dims.reduce((a, b) => a * b, 1);
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = (2 * random() - 1) * scale;
    return {
      name,
      dataType: OnnxElementType.FLOAT,
      dims,
      raw: new Uint8Array(values.buffer),
    };
  };
  const initializers: TensorData[] = [
    weight("transformer.wte.weight", [vocab, d], 1),
  ];
  const nodes: NodeSpec[] = [
    {
      opType: "Gather",
      name: "/transformer/wte/Gather",
      input: ["transformer.wte.weight", "input_ids"],
      output: ["/transformer/wte/Gather_output_0"],
    },
  ];
  let h = "/transformer/wte/Gather_output_0";
  for (let i = 0; i < layers; i++) {
    const p = `transformer.h.${i}.mlp`;
    const s = `/transformer/h.${i}/mlp`;
    initializers.push(
      weight(`${p}.c_fc.weight`, [d, 4 * d], 1 / Math.sqrt(d)),
      weight(`${p}.c_fc.bias`, [4 * d], 0.1),
      weight(`${p}.c_proj.weight`, [4 * d, d], 1 / Math.sqrt(4 * d)),
      weight(`${p}.c_proj.bias`, [d], 0.1),
    );
    const out = (node: string) => `${node}_output_0`;
    nodes.push(
      op("MatMul", `${s}/c_fc/MatMul`, [h, `${p}.c_fc.weight`]),
      op("Add", `${s}/c_fc/Add`, [out(`${s}/c_fc/MatMul`), `${p}.c_fc.bias`]),
      op("Tanh", `${s}/act/Tanh`, [out(`${s}/c_fc/Add`)]),
      op("MatMul", `${s}/c_proj/MatMul`, [
        out(`${s}/act/Tanh`),
        `${p}.c_proj.weight`,
      ]),
      op("Add", `${s}/c_proj/Add`, [
        out(`${s}/c_proj/MatMul`),
        `${p}.c_proj.bias`,
      ]),
      op("Add", `/transformer/h.${i}/Add`, [h, out(`${s}/c_proj/Add`)]),
    );
    h = out(`/transformer/h.${i}/Add`);
  }
  initializers.push(weight("lm_head.weight", [d, vocab], 1 / Math.sqrt(d)));
  nodes.push({
    opType: "MatMul",
    name: "/lm_head/MatMul",
    input: [h, "lm_head.weight"],
    output: ["logits"],
  });
  return writeModel({
    irVersion: 8,
    opsetImports: [{ domain: "", version: 17 }],
    nodes,
    initializers,
    inputs: [
      {
        name: "input_ids",
        elemType: OnnxElementType.INT64,
        shape: ["batch", "sequence"],
      },
    ],
    outputs: [
      {
        name: "logits",
        elemType: OnnxElementType.FLOAT,
        shape: ["batch", "sequence", vocab],
      },
    ],
    name: "synthetic",
  });
}

const op = (opType: string, name: string, input: string[]): NodeSpec => ({
  opType,
  name,
  input,
  output: [`${name}_output_0`],
});

/** A seeded uniform [0, 1) generator (mulberry32): test weights need spread, not quality. */
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
