/**
 * The activities that platform workflows call, as types only: the worker
 * implements them (apps/worker), workflows call them through proxyActivities.
 */
export interface PlatformActivities {
  /** Appends a ProbeRecorded event for `probeId`; idempotent across retries. */
  recordProbe(input: ProbeInput): Promise<ProbeResult>;
}

/** A round trip through every layer: web API -> Temporal -> worker -> PostgreSQL. */
export interface ProbeInput {
  readonly probeId: string;
  readonly requestedAt: string;
  readonly note?: string;
}

/** Where the probe's event landed, and which worker wrote it. */
export interface ProbeResult {
  readonly probeId: string;
  readonly stream: string;
  readonly position: string;
  readonly version: number;
  readonly workerId: string;
  readonly recordedAt: string;
}
