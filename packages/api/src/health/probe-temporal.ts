import type { Connection } from "@temporalio/client";
import { measure, type PartHealth } from "./part-health.ts";

/** Asks the Temporal frontend for its system info, with a deadline. */
export function probeTemporal(
  connection: Connection,
  address: string,
  timeoutMs = 2000,
): Promise<PartHealth> {
  return measure("temporal", timeoutMs, async () => {
    const info = await connection.withDeadline(Date.now() + timeoutMs, () =>
      connection.workflowService.getSystemInfo({}),
    );
    return `server ${info.serverVersion || "(unknown version)"} at ${address}`;
  });
}
