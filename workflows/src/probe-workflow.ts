import { proxyActivities } from "@temporalio/workflow";
import type {
  PlatformActivities,
  ProbeInput,
  ProbeResult,
} from "./platform-activities.ts";

const { recordProbe } = proxyActivities<PlatformActivities>({
  startToCloseTimeout: "30 seconds",
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: ["InvalidProbeInput"] },
});

/**
 * Records a probe event through a worker: the smallest workflow that crosses every
 * layer, used by the health page and the wiring test.
 */
export async function probeWorkflow(input: ProbeInput): Promise<ProbeResult> {
  return recordProbe(input);
}
