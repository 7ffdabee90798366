import fs from "node:fs";

/** A process's peak resident set (VmHWM), in bytes, or null when unreadable. */
export function peakRssOf(pid: number): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = status.match(/^VmHWM:\s+(\d+) kB/m)?.[1];
    return kib ? Number(kib) * 1024 : null;
  } catch {
    return null;
  }
}
