/** The state of one part of the platform as the health page shows it. */
export interface PartHealth {
  readonly part: string;
  readonly healthy: boolean;
  /** One line a person can act on: a version, a latency, or what went wrong. */
  readonly detail: string;
  /** How long the probe took; null for parts derived from stored state (workers). */
  readonly latencyMs: number | null;
}

/** Runs a probe with a deadline; any error or timeout is an unhealthy result. */
export async function measure(
  part: string,
  timeoutMs: number,
  probe: () => Promise<string>,
): Promise<PartHealth> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    const detail = await Promise.race([probe(), timeout]);
    return {
      part,
      healthy: true,
      detail,
      latencyMs: Math.round(performance.now() - started),
    };
  } catch (error) {
    const message =
      error instanceof Error ? error.message.split("\n")[0]! : String(error);
    return {
      part,
      healthy: false,
      detail: message,
      latencyMs: Math.round(performance.now() - started),
    };
  } finally {
    clearTimeout(timer);
  }
}
