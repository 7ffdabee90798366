import { z } from "zod";
import { DTYPES } from "../ir/dtype.ts";
import {
  ARG_REDUCE_OPS,
  BINARY_OPS,
  COMPARE_OPS,
  REDUCE_OPS,
  SOFTMAX_OPS,
  UNARY_OPS,
  type Op,
} from "../ir/ops.ts";

/** The format's name and the version this code writes. */
export const GRAPH_FORMAT = "loupe.graph";
export const GRAPH_FORMAT_VERSION = 1;

const nodeId = z
  .string()
  .regex(/^n\d+$/, "expected a node id like n12")
  .meta({ id: "NodeId" });
const dim = z
  .union([z.number().int().min(0), z.string().min(1)])
  .meta({ id: "Dim" });
const axis = z.number().int();
const dtype = z.enum(DTYPES).meta({ id: "DType" });
const modulePath = z
  .string()
  .regex(
    /^$|^[A-Za-z_][\w]*(\.[\w]+)*$/,
    "expected a dotted module path like transformer.h.5.mlp",
  )
  .meta({ id: "ModulePath" });

const indexItem = z.union([
  z.number().int(),
  z
    .object({
      slice: z.tuple([
        z.number().int().nullable(),
        z.number().int().nullable(),
        z.number().int().nullable(),
      ]),
    })
    .strict(),
  z.object({ list: z.array(z.number().int()).min(1) }).strict(),
  z.literal("..."),
  z.null(),
]);
const index = z.array(indexItem).meta({ id: "Index" });

/**
 * The generation steps a node runs at, [from, to) (to null: to the last step);
 * only in a generating trace. A node without `steps` runs at every step.
 */
const stepRange = z
  .object({
    from: z.number().int().min(0),
    to: z.number().int().min(1).nullable(),
  })
  .strict()
  .meta({ id: "StepRange" });

/** Where a node was written: its trace and invoke within the session (and, generating, its steps). */
const base = {
  id: nodeId,
  trace: z.number().int().min(0),
  invoke: z.number().int().min(0),
  steps: stepRange.optional(),
};
// No args: an empty array (a 0-tuple has no valid JSON Schema form).
const none = z.array(nodeId).max(0);
const one = z.tuple([nodeId]);
const two = z.tuple([nodeId, nodeId]);
const many = z.array(nodeId).min(1);
const node = <O extends Op, Shape extends z.ZodRawShape>(
  op: O,
  args: z.ZodType<string[]>,
  attrs: Shape,
) =>
  z
    .object({ ...base, op: z.literal(op), args, ...attrs })
    .strict()
    .meta({ id: `Node.${op}` });
const family = <const Ops extends readonly Op[], Shape extends z.ZodRawShape>(
  ops: Ops,
  args: z.ZodType<string[]>,
  attrs: Shape,
) =>
  Object.fromEntries(ops.map((op) => [op, node(op, args, attrs)])) as {
    [K in Ops[number]]: ReturnType<typeof node<K, Shape>>;
  };

const reduceAttrs = { dims: z.array(axis).nullable(), keepdim: z.boolean() };
const target = {
  module: modulePath,
  call: z.number().int().min(0),
  /** A module's inputs or outputs, or the outputs of an operation inside it (`source`). */
  slot: z.enum(["input", "output", "source"]),
  /** For slot `source`: the operation's name in the manifest (`softmax_0`). */
  source: z
    .string()
    .regex(/^[a-z][a-z0-9_]*_\d+$/, "expected an operation name like softmax_0")
    .optional(),
  /** Which input or tuple element; null for a module's single (non-tuple) tensor. */
  item: z.number().int().min(0).nullable(),
};

/**
 * The read or write whose value a gradient is of: a handle read before a
 * write to its tensor has the gradient from before the write (it flows
 * through it), a handle to the written value the written value's. Absent:
 * the value after every write at that point (graphs made before the rule).
 */
const handle = nodeId.optional();

/**
 * The schema of each node kind. Parsing looks the kind up here first, so an error
 * names the field of that kind that is wrong, not a failed union.
 */
export const nodeSchemas = {
  read: node("read", none, target),
  write: node("write", one, { ...target, index: index.nullable() }),
  param: node("param", none, { module: modulePath, name: z.string().min(1) }),
  call_module: node("call_module", one, { module: modulePath }),
  skip: node("skip", one, {
    module: modulePath,
    call: z.number().int().min(0),
  }),
  cache: node("cache", none, { modules: z.array(modulePath).min(1) }),
  /** The gradient of a module's input or output (this invoke's rows), from the trace's backward pass. */
  grad: node("grad", none, { ...target, of: handle }),
  /** Replaces that gradient: what flows further back is this value. */
  write_grad: node("write_grad", one, {
    ...target,
    index: index.nullable(),
    of: handle,
  }),
  /** Differentiates a scalar of the trace: its gradients flow back through the model. */
  backward: node("backward", one, {}),
  stop: node("stop", none, {}),
  constant: node("constant", none, {
    dtype,
    shape: z.array(z.number().int().min(0)),
    /** The elements as little-endian bytes, base64. */
    data: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "expected base64"),
  }),
  tensor: node("tensor", none, {
    name: z.string().min(1),
    dtype,
    shape: z.array(dim),
  }),
  save: node("save", one, { name: z.string().min(1) }),
  getitem: node("getitem", one, { index }),
  setitem: node("setitem", two, { index }),
  where: node("where", z.tuple([nodeId, nodeId, nodeId]), {}),
  matmul: node("matmul", two, {}),
  topk: node("topk", one, {
    k: z.number().int().min(1),
    dim: axis,
    largest: z.boolean(),
    part: z.enum(["values", "indices"]),
  }),
  norm: node("norm", one, { p: z.number().positive(), ...reduceAttrs }),
  reshape: node("reshape", one, { shape: z.array(z.number().int().min(-1)) }),
  transpose: node("transpose", one, { dims: z.tuple([axis, axis]) }),
  permute: node("permute", one, { dims: z.array(axis) }),
  concat: node("concat", many, { dim: axis }),
  stack: node("stack", many, { dim: axis }),
  cast: node("cast", one, { dtype }),
  ...family(UNARY_OPS, one, {}),
  ...family(BINARY_OPS, two, {}),
  ...family(COMPARE_OPS, two, {}),
  ...family(REDUCE_OPS, one, reduceAttrs),
  ...family(ARG_REDUCE_OPS, one, {
    dim: axis.nullable(),
    keepdim: z.boolean(),
  }),
  ...family(SOFTMAX_OPS, one, { dim: axis }),
} satisfies Record<Op, z.ZodObject>;

/** One node of the graph. `args` name earlier nodes; the other fields are its attributes. */
export const graphNodeSchema = z.discriminatedUnion(
  "op",
  Object.values(nodeSchemas) as unknown as [
    (typeof nodeSchemas)[Op],
    ...(typeof nodeSchemas)[Op][],
  ],
);

/** What an invoke runs on: text prompts (tokenized by the engine) or token ids. */
const invokeInputSchema = z.discriminatedUnion("kind", [
  z
    .object({ kind: z.literal("text"), prompts: z.array(z.string()).min(1) })
    .strict(),
  z
    .object({
      kind: z.literal("tokens"),
      ids: z.array(z.array(z.number().int().min(0)).min(1)).min(1),
    })
    .strict(),
]);

/**
 * An invoke: some rows of the batch (or, with `input: null`, the whole batch).
 * `edit: true` marks the model's persistent default interventions, which apply to
 * every invoke.
 */
const invokeSchema = z
  .object({ input: invokeInputSchema.nullable(), edit: z.boolean().optional() })
  .strict();

/**
 * Generation: the trace runs once per new token (a step), its interventions at
 * every step unless a node names its steps. Greedy when temperature is 0 (the
 * default); otherwise sampled from softmax(logits / temperature) over the topK
 * most likely tokens (null: all), reproducibly from the seed. A row stops at
 * maxNewTokens, or after a token in stop.ids, or once its text ends with one of
 * stop.text. With kvCache (the default) an export with a key/value cache feeds
 * each step only its new token; without one, or with kvCache false, every step
 * recomputes the whole sequence (and its interventions see all of it).
 */
const generateSchema = z
  .object({
    maxNewTokens: z.number().int().min(1).max(4096),
    temperature: z.number().min(0).max(100).optional(),
    topK: z.number().int().min(1).nullable().optional(),
    seed: z.number().int().min(0).max(0xffffffff).optional(),
    stop: z
      .object({
        ids: z.array(z.number().int().min(0)).optional(),
        text: z.array(z.string().min(1)).optional(),
      })
      .strict()
      .optional(),
    kvCache: z.boolean().optional(),
  })
  .strict()
  .meta({ id: "Generate" });

/** One forward pass, or with `generate`, one per generated token. */
const traceSchema = z
  .object({
    invokes: z.array(invokeSchema).min(1),
    generate: generateSchema.optional(),
  })
  .strict();

/**
 * An intervention graph, format version 1: a session of one or more traces, and
 * the nodes of all of them in the order they were written (every node's args are
 * earlier nodes). Gradients came as node kinds (`grad`, `write_grad`,
 * `backward`) without a version change: a graph without them is unchanged, and
 * a Loupe that predates them refuses one with an unknown kind by name.
 * Generation came the same way: a trace's optional `generate` and a node's
 * optional `steps`; a graph without them is unchanged (and hashes the same).
 */
export const graphSchema = z
  .object({
    format: z.literal(GRAPH_FORMAT),
    version: z.literal(GRAPH_FORMAT_VERSION),
    /** The model the graph was written against (aliases let it run on others). */
    model: z.string().min(1).optional(),
    traces: z.array(traceSchema).min(1),
    nodes: z.array(graphNodeSchema),
  })
  .strict();

/** A parsed intervention graph. */
export type Graph = z.infer<typeof graphSchema>;
/** One node of a graph. */
export type GraphNode = z.infer<typeof graphNodeSchema>;
/** A generating trace's options. */
export type GenerateOptions = z.infer<typeof generateSchema>;
/** The generation steps a node runs at. */
export type StepRange = z.infer<typeof stepRange>;
/** An invoke's input. */
export type InvokeInput = z.infer<typeof invokeInputSchema>;
