import protobuf from "protobufjs";

/**
 * Returns model bytes whose graph also outputs `names`, without decoding and
 * re-encoding the model: protobuf merges a repeated embedded message field that
 * appears twice, so appending `graph { output { name } … }` (ModelProto field 7,
 * GraphProto field 12, ValueInfoProto field 1) adds outputs and keeps every
 * other byte, including fields Loupe does not model. ONNX Runtime infers the
 * outputs' types. This is how the engine reads intermediate tensors (only
 * declared outputs can be fetched from a session).
 */
export function appendGraphOutputs(
  model: Uint8Array,
  names: readonly string[],
): Uint8Array {
  if (names.length === 0) return model;
  const graph = protobuf.Writer.create();
  for (const name of names) {
    const valueInfo = protobuf.Writer.create()
      .uint32((1 << 3) | 2)
      .string(name)
      .finish();
    graph.uint32((12 << 3) | 2).bytes(valueInfo);
  }
  const tail = protobuf.Writer.create()
    .uint32((7 << 3) | 2)
    .bytes(graph.finish())
    .finish();
  const out = new Uint8Array(model.length + tail.length);
  out.set(model, 0);
  out.set(tail, model.length);
  return out;
}
