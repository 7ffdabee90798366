/**
 * Every operation kind of the intervention graph, by family. A new kind must be
 * added to a family here, to the format's schema and to the shape rules; the
 * `Record<Op, …>` tables make the compiler list every place that must handle it.
 */
export const MODEL_OPS = [
  "read",
  "write",
  "param",
  "call_module",
  "skip",
  "cache",
  "stop",
  "grad",
  "write_grad",
  "backward",
] as const;
export const VALUE_OPS = ["constant", "tensor", "save"] as const;
export const UNARY_OPS = [
  "neg",
  "abs",
  "exp",
  "log",
  "sqrt",
  "tanh",
  "relu",
  "gelu",
  "sigmoid",
] as const;
export const BINARY_OPS = [
  "add",
  "sub",
  "mul",
  "div",
  "pow",
  "maximum",
  "minimum",
] as const;
export const COMPARE_OPS = ["eq", "ne", "lt", "le", "gt", "ge"] as const;
export const REDUCE_OPS = ["sum", "mean", "max", "min"] as const;
export const ARG_REDUCE_OPS = ["argmax", "argmin"] as const;
export const SOFTMAX_OPS = ["softmax", "log_softmax"] as const;
export const SHAPE_OPS = [
  "reshape",
  "transpose",
  "permute",
  "concat",
  "stack",
  "cast",
] as const;
export const OTHER_OPS = [
  "getitem",
  "setitem",
  "where",
  "matmul",
  "topk",
  "norm",
] as const;

export type UnaryOp = (typeof UNARY_OPS)[number];
export type BinaryOp = (typeof BINARY_OPS)[number];
export type CompareOp = (typeof COMPARE_OPS)[number];
export type ReduceOp = (typeof REDUCE_OPS)[number];
export type ArgReduceOp = (typeof ARG_REDUCE_OPS)[number];
export type SoftmaxOp = (typeof SOFTMAX_OPS)[number];

/** Every operation kind. */
export type Op =
  | (typeof MODEL_OPS)[number]
  | (typeof VALUE_OPS)[number]
  | UnaryOp
  | BinaryOp
  | CompareOp
  | ReduceOp
  | ArgReduceOp
  | SoftmaxOp
  | (typeof SHAPE_OPS)[number]
  | (typeof OTHER_OPS)[number];
