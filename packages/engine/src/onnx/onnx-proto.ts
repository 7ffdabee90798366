import protobuf from "protobufjs";

/**
 * The part of ONNX's protobuf schema (onnx.proto, IR version 10) that Loupe
 * reads, with ONNX's own field numbers. Declared here with protobufjs'
 * reflection rather than loaded from onnx.proto: the npm `onnx-proto` package is
 * built from ONNX 1.10 and drops the node `metadata_props` that dynamo exports
 * carry; unknown fields are skipped by the decoder, so newer files still read.
 */
const descriptor = {
  nested: {
    StringStringEntryProto: {
      fields: {
        key: { type: "string", id: 1 },
        value: { type: "string", id: 2 },
      },
    },
    OperatorSetIdProto: {
      fields: {
        domain: { type: "string", id: 1 },
        version: { type: "int64", id: 2 },
      },
    },
    TensorProto: {
      fields: {
        dims: { rule: "repeated", type: "int64", id: 1 },
        dataType: { type: "int32", id: 2 },
        name: { type: "string", id: 8 },
        rawData: { type: "bytes", id: 9 },
        floatData: { rule: "repeated", type: "float", id: 4 },
        int64Data: { rule: "repeated", type: "int64", id: 7 },
        dataLocation: { type: "int32", id: 14 },
      },
    },
    AttributeProto: {
      fields: {
        name: { type: "string", id: 1 },
        type: { type: "int32", id: 20 },
        f: { type: "float", id: 2 },
        i: { type: "int64", id: 3 },
        s: { type: "bytes", id: 4 },
        t: { type: "TensorProto", id: 5 },
        g: { type: "GraphProto", id: 6 },
        floats: { rule: "repeated", type: "float", id: 7 },
        ints: { rule: "repeated", type: "int64", id: 8 },
      },
    },
    Dimension: {
      fields: {
        dimValue: { type: "int64", id: 1 },
        dimParam: { type: "string", id: 2 },
      },
    },
    TensorShapeProto: {
      fields: { dim: { rule: "repeated", type: "Dimension", id: 1 } },
    },
    TensorTypeProto: {
      fields: {
        elemType: { type: "int32", id: 1 },
        shape: { type: "TensorShapeProto", id: 2 },
      },
    },
    TypeProto: { fields: { tensorType: { type: "TensorTypeProto", id: 1 } } },
    ValueInfoProto: {
      fields: {
        name: { type: "string", id: 1 },
        type: { type: "TypeProto", id: 2 },
      },
    },
    NodeProto: {
      fields: {
        input: { rule: "repeated", type: "string", id: 1 },
        output: { rule: "repeated", type: "string", id: 2 },
        name: { type: "string", id: 3 },
        opType: { type: "string", id: 4 },
        domain: { type: "string", id: 7 },
        attribute: { rule: "repeated", type: "AttributeProto", id: 5 },
        metadataProps: {
          rule: "repeated",
          type: "StringStringEntryProto",
          id: 9,
        },
      },
    },
    GraphProto: {
      fields: {
        node: { rule: "repeated", type: "NodeProto", id: 1 },
        name: { type: "string", id: 2 },
        initializer: { rule: "repeated", type: "TensorProto", id: 5 },
        input: { rule: "repeated", type: "ValueInfoProto", id: 11 },
        output: { rule: "repeated", type: "ValueInfoProto", id: 12 },
        valueInfo: { rule: "repeated", type: "ValueInfoProto", id: 13 },
      },
    },
    ModelProto: {
      fields: {
        irVersion: { type: "int64", id: 1 },
        producerName: { type: "string", id: 2 },
        producerVersion: { type: "string", id: 3 },
        graph: { type: "GraphProto", id: 7 },
        opsetImport: { rule: "repeated", type: "OperatorSetIdProto", id: 8 },
        metadataProps: {
          rule: "repeated",
          type: "StringStringEntryProto",
          id: 14,
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(descriptor);
/** Bytes per element of ONNX data types (TensorProto.DataType). */
const ELEMENT_BYTES: Record<number, number> = {
  1: 4,
  2: 1,
  3: 1,
  4: 2,
  5: 2,
  6: 4,
  7: 8,
  9: 1,
  10: 2,
  11: 8,
  12: 4,
  13: 8,
  16: 2,
};
const modelType = root.lookupType("ModelProto");

/** A decoded ONNX node. */
export interface OnnxNode {
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly input: readonly string[];
  readonly output: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
}

/** A graph input or output with its declared element type and shape. */
export interface OnnxValueInfo {
  readonly name: string;
  /** ONNX TensorProto.DataType code (1 float, 7 int64, 9 bool, 10 float16, 6 int32). */
  readonly elemType: number;
  readonly shape: readonly (number | string)[];
}

/** What Loupe reads of an ONNX model. */
export interface OnnxModel {
  readonly producer: string;
  readonly opset: number;
  readonly nodes: readonly OnnxNode[];
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  readonly valueInfo: readonly OnnxValueInfo[];
  /** Initializer (weight) names with their dims and byte sizes. */
  readonly initializers: readonly {
    name: string;
    dims: number[];
    dataType: number;
    bytes: number;
  }[];
}

/** Raised for bytes that are not an ONNX model Loupe can read. */
export class OnnxDecodeError extends Error {
  override readonly name = "OnnxDecodeError";
  readonly code = "ONNX_INVALID";
}

interface RawValueInfo {
  name?: string;
  type?: {
    tensorType?: {
      elemType?: number;
      shape?: { dim?: { dimValue?: number | Long; dimParam?: string }[] };
    };
  };
}
type Long = { toNumber(): number };
const text = (v: unknown): string => (typeof v === "string" ? v : "");
const num = (v: number | Long | undefined): number =>
  v === undefined ? 0 : typeof v === "number" ? v : v.toNumber();

function valueInfo(v: RawValueInfo): OnnxValueInfo {
  const tensor = v.type?.tensorType;
  return {
    name: v.name ?? "",
    elemType: tensor?.elemType ?? 0,
    shape: (tensor?.shape?.dim ?? []).map((d) =>
      d.dimParam ? d.dimParam : num(d.dimValue),
    ),
  };
}

/**
 * Decodes an ONNX model file's bytes (weights in external data files are
 * listed with their sizes; their data is never read here). Unlike ONNX Runtime, protobufjs does not merge a message field
 * that occurs twice (the last wins): decode files as written, not bytes that
 * appendGraphOutputs extended.
 */
export function decodeOnnxModel(bytes: Uint8Array): OnnxModel {
  let raw: Record<string, unknown>;
  try {
    raw = modelType.toObject(modelType.decode(bytes), {
      defaults: false,
      arrays: true,
    });
  } catch (error) {
    throw new OnnxDecodeError(
      `not an ONNX model: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const graph = raw.graph as
    | {
        node?: Record<string, unknown>[];
        initializer?: Record<string, unknown>[];
        input?: RawValueInfo[];
        output?: RawValueInfo[];
        valueInfo?: RawValueInfo[];
      }
    | undefined;
  if (!graph?.node?.length)
    throw new OnnxDecodeError("not an ONNX model: it has no graph nodes");
  const opsets =
    (raw.opsetImport as
      { domain?: string; version?: number | Long }[] | undefined) ?? [];
  const initializers = (graph.initializer ?? []).map((t) => {
    const dims = ((t.dims as (number | Long)[] | undefined) ?? []).map(num);
    const rawData = t.rawData as Uint8Array | undefined;
    const floatData = t.floatData as number[] | undefined;
    const int64Data = t.int64Data as unknown[] | undefined;
    const dataType = Number(t.dataType ?? 0);
    // External data (data_location 1) is sized by its type and dims.
    const bytes =
      t.dataLocation === 1
        ? dims.reduce((a, b) => a * b, 1) * (ELEMENT_BYTES[dataType] ?? 4)
        : (rawData?.length ??
          (floatData
            ? floatData.length * 4
            : int64Data
              ? int64Data.length * 8
              : 0));
    return {
      name: text(t.name),
      dims,
      dataType,
      bytes,
    };
  });
  return {
    producer: `${text(raw.producerName)} ${text(raw.producerVersion)}`.trim(),
    opset: num(opsets.find((o) => !o.domain)?.version),
    nodes: graph.node.map((n) => ({
      name: text(n.name),
      opType: text(n.opType),
      domain: text(n.domain),
      input: (n.input as string[] | undefined) ?? [],
      output: (n.output as string[] | undefined) ?? [],
      metadata: Object.fromEntries(
        (
          (n.metadataProps as { key: string; value: string }[] | undefined) ??
          []
        ).map((p) => [p.key, p.value]),
      ),
    })),
    inputs: (graph.input ?? []).map(valueInfo),
    outputs: (graph.output ?? []).map(valueInfo),
    valueInfo: (graph.valueInfo ?? []).map(valueInfo),
    initializers,
  };
}
