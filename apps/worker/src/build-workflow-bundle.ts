/** Bundles the workflows ahead of time into dist/ (Temporal's production advice). */
import fs from "node:fs";
import path from "node:path";
import { bundleWorkflowCode } from "@temporalio/worker";
import { WORKFLOW_BUNDLE_PATH, workflowsEntry } from "./workflow-source.ts";

const { code } = await bundleWorkflowCode({ workflowsPath: workflowsEntry() });
fs.mkdirSync(path.dirname(WORKFLOW_BUNDLE_PATH), { recursive: true });
fs.writeFileSync(WORKFLOW_BUNDLE_PATH, code);
console.log(
  `workflow bundle written to ${path.relative(process.cwd(), WORKFLOW_BUNDLE_PATH)}`,
);
