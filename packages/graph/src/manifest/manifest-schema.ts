import { z } from "zod";
import { DTYPES } from "../ir/dtype.ts";

const dim = z.union([z.number().int().min(0), z.string().min(1)]);

/** A tensor at a module boundary: its name in the model file, type and shape. */
export const tensorSpecSchema = z.object({
  /** The tensor's name in the ONNX graph (how the engine finds it). */
  tensor: z.string().min(1),
  /** A readable name for tuple elements and model outputs (`logits`). */
  label: z.string().min(1).optional(),
  dtype: z.enum(DTYPES),
  /** Dimensions; `batch` and `seq` stand for the request's rows and tokens. */
  shape: z.array(dim),
});

/**
 * One operation inside a module call (what NNsight calls `.source`): an ONNX
 * node whose innermost module is this call. Its outputs are hook points like a
 * module's, read, written and differentiated at `event`.
 */
export const sourceOpSchema = z.object({
  /** Readable and unique in the call: the op type in snake case and its index among the call's ops of that type (`softmax_0`, `mat_mul_1`). */
  name: z.string().regex(/^[a-z][a-z0-9_]*_\d+$/),
  /** The ONNX operator (`Softmax`; `com.microsoft.Attention` outside the default domain). */
  op: z.string().min(1),
  /** The exporter's node name, where it gave one. */
  node: z.string().optional(),
  /** The hook event at which the outputs exist (between the call's enter and exit). */
  event: z.number().int().min(0),
  outputs: z.array(tensorSpecSchema),
  /**
   * A fused operator (ONNX's `Attention`, ONNX Runtime's contrib kernels): the
   * tensors it computes inside (an attention pattern) cannot be reached.
   */
  fused: z.boolean().optional(),
});

/**
 * One call of a module in the forward pass. `enter` and `exit` number the hook
 * events of the whole forward pass: a module's input exists at `enter`, its output
 * at `exit`, and interventions must follow that order.
 */
export const moduleCallSchema = z.object({
  enter: z.number().int().min(0),
  exit: z.number().int().min(0),
  inputs: z.array(tensorSpecSchema),
  outputs: z.array(tensorSpecSchema),
  /**
   * Whether the module returns a tuple (as its PyTorch original does). Then
   * `.output` is a tuple, indexed `.output[0]`, even with one element; otherwise
   * `.output` is the tensor itself.
   */
  tuple: z.boolean(),
  /** The call's own operations in forward order (absent in manifests imported before `.source`). */
  source: z.array(sourceOpSchema).optional(),
});

/** A parameter (weight) of a module. */
export const parameterSpecSchema = z.object({
  name: z.string().min(1),
  tensor: z.string().min(1),
  dtype: z.enum(DTYPES),
  /** PyTorch's shape (`[out, in]` for a Linear's weight). */
  shape: z.array(z.number().int().min(0)),
  /**
   * The file holds the 2-D weight transposed (an exporter's MatMul by
   * `weight.T`, folded into a constant): reading it transposes it back.
   */
  transpose: z.boolean().optional(),
});

/** A module of the model, by its dotted path (`transformer.h.0.mlp`; "" is the model). */
export const moduleSpecSchema = z.object({
  path: z.string(),
  type: z.string().min(1),
  calls: z.array(moduleCallSchema),
  params: z.array(parameterSpecSchema),
});

/**
 * The model manifest: what the graph language knows about a model. Produced by
 * the engine's importer from an ONNX file; modules are listed in forward order.
 */
export const manifestSchema = z.object({
  format: z.literal("loupe.manifest"),
  version: z.literal(1),
  model: z.object({
    name: z.string().min(1),
    architecture: z.string().min(1),
    /** Hash of the ONNX weights and this manifest (filled in by the importer). */
    hash: z.string().optional(),
  }),
  modules: z.array(moduleSpecSchema).min(1),
  /**
   * One vocabulary across architectures: alias path pattern -> real path pattern,
   * `*` standing for a layer index, e.g. `layers.*.mlp` -> `transformer.h.*.mlp`.
   */
  aliases: z.record(z.string(), z.string()),
});

/** A parsed model manifest. */
export type Manifest = z.infer<typeof manifestSchema>;
/** A module of a manifest. */
export type ModuleSpec = z.infer<typeof moduleSpecSchema>;
/** One call of a module. */
export type ModuleCall = z.infer<typeof moduleCallSchema>;
/** An operation inside a module call. */
export type SourceOp = z.infer<typeof sourceOpSchema>;
/** A tensor at a module boundary. */
export type TensorSpec = z.infer<typeof tensorSpecSchema>;
