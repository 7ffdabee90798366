import fs from "node:fs";

/**
 * CPU seconds (user + system) used by process trees, read from /proc: where a
 * platform measurement's CPU time went (the web app, the worker, Temporal,
 * PostgreSQL, the clients). Linux only; a part whose processes are gone
 * counts what was read before they went.
 */
export type CpuSample = Readonly<Record<string, number>>;

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on Linux

interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  readonly seconds: number;
}

function readStats(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      // Fields after "(comm)", which may contain spaces: state ppid ... utime stime
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      stats.push({
        pid: Number(entry),
        ppid: Number(f[1]),
        seconds: (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND,
      });
    } catch {
      // The process ended between listing and reading.
    }
  }
  return stats;
}

/**
 * CPU seconds so far of each part: its root pid and its descendants, except
 * those under another part's root (the clients' process started the stack's
 * processes, which are parts of their own).
 */
export function sampleCpu(parts: Readonly<Record<string, number>>): CpuSample {
  const stats = readStats();
  const children = new Map<number, ProcStat[]>();
  for (const s of stats)
    children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const byPid = new Map(stats.map((s) => [s.pid, s]));
  const roots = new Set(Object.values(parts));
  const sample: Record<string, number> = {};
  for (const [part, root] of Object.entries(parts)) {
    let total = 0;
    const queue = byPid.has(root) ? [byPid.get(root)!] : [];
    while (queue.length > 0) {
      const s = queue.pop()!;
      total += s.seconds;
      queue.push(
        ...(children.get(s.pid) ?? []).filter((c) => !roots.has(c.pid)),
      );
    }
    sample[part] = total;
  }
  return sample;
}

/** CPU seconds each part used between two samples. */
export function cpuBetween(before: CpuSample, after: CpuSample): CpuSample {
  return Object.fromEntries(
    Object.entries(after).map(([part, s]) => [
      part,
      Math.max(0, s - (before[part] ?? 0)),
    ]),
  );
}
