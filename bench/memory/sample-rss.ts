import fs from "node:fs";

/**
 * A process's resident set now (VmRSS in /proc/<pid>/status), in bytes, or
 * undefined when it ended or cannot be read. A kernel counter, so cheap
 * (microseconds) where Pss is not; and an upper bound of Pss, which is what
 * PeakPssSampler uses it for. Counts a page mapped by several processes, or
 * several times, in each mapping.
 */
export function findRss(pid: number): number | undefined {
  let status: string;
  try {
    status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  return kib === undefined ? undefined : Number(kib) * 1024;
}
