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

/** This process's resident set now (VmRSS), in bytes. */
export function residentBytes(): number {
  const status = fs.readFileSync("/proc/self/status", "utf8");
  const kib = status.match(/^VmRSS:\s+(\d+) kB/m)?.[1];
  if (!kib) throw new Error("no VmRSS in /proc/self/status");
  return Number(kib) * 1024;
}
