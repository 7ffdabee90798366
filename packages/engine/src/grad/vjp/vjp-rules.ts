import { ACTIVATION_RULES } from "./activation.ts";
import { ELEMENTWISE_RULES } from "./elementwise.ts";
import { INDEXING_RULES } from "./indexing.ts";
import { MATMUL_RULES } from "./matmul.ts";
import { NORMALIZATION_RULES } from "./normalization.ts";
import { REDUCE_RULES } from "./reduce.ts";
import type { VjpRule } from "./rule.ts";
import { SHAPE_RULES } from "./shape.ts";

/**
 * The vector-Jacobian product of each differentiated ONNX operator, from
 * each family's table. An operator appears in one family only, so the order
 * of the spreads does not matter.
 */
export const VJP_RULES: Readonly<Record<string, VjpRule>> = {
  ...SHAPE_RULES,
  ...INDEXING_RULES,
  ...ELEMENTWISE_RULES,
  ...ACTIVATION_RULES,
  ...MATMUL_RULES,
  ...REDUCE_RULES,
  ...NORMALIZATION_RULES,
};
