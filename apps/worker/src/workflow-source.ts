import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Where the ahead-of-time workflow bundle lives (written by `npm run build`). */
export const WORKFLOW_BUNDLE_PATH = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "dist",
  "workflow-bundle.js",
);

/** The workflows' entry file, for bundling at start when no bundle was built. */
export function workflowsEntry(): string {
  return createRequire(import.meta.url).resolve("@loupe/workflows");
}

/**
 * Production runs the prebuilt bundle; a stale or missing bundle falls back to
 * bundling at start (about 2 s), so a changed workflow never runs old code.
 */
export function workflowSource():
  { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  const entry = workflowsEntry();
  if (fs.existsSync(WORKFLOW_BUNDLE_PATH)) {
    const built = fs.statSync(WORKFLOW_BUNDLE_PATH).mtimeMs;
    const sources = path.dirname(entry);
    const newest = Math.max(
      ...fs
        .readdirSync(sources)
        .map((f) => fs.statSync(path.join(sources, f)).mtimeMs),
    );
    if (built >= newest)
      return { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } };
  }
  return { workflowsPath: entry };
}
