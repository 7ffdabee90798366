import path from "node:path";
import { fileURLToPath } from "node:url";

/** The monorepo's root folder (this file is stack/src/repo-root.ts). */
export const repoRoot = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
);
