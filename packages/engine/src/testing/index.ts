/**
 * @loupe/engine/testing: models built at test time, for tests in other
 * packages (hosting, memory) that need a model of a given size without a
 * committed file.
 */
export {
  buildSyntheticModel,
  syntheticWeightBytes,
  type SyntheticModelSize,
} from "./synthetic-model.ts";
export { splitExternalData } from "./split-external-data.ts";
