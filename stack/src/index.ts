export {
  resolveStackConfig,
  databaseUrlOf,
  temporalAddressOf,
  type StackConfig,
  type StackProfile,
} from "./config.ts";
export { bringUp, type RunningStack, type BringUpOptions } from "./bring-up.ts";
export {
  findLiveStack,
  stackStateFile,
  type StackState,
} from "./stack-state.ts";
export { isAlive } from "./services/managed-process.ts";
export {
  chromiumRequirement,
  ensureDebianPackages,
} from "./services/debian-packages.ts";
export { fetchHealth } from "./services/health.ts";
export { waitFor, isPortOpen } from "./services/wait-for.ts";
export { createDatabaseFromTemplate } from "./services/test-database.ts";
