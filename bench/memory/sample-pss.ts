import fs from "node:fs";

/**
 * A process's proportional set size (Pss) now, in bytes, from
 * /proc/<pid>/smaps_rollup: its private pages plus its share of every shared
 * page (a page mapped by n processes counts 1/n in each). Unlike the resident
 * set (RSS), Pss does not count a weight file that several sessions or
 * processes map once per mapping, so Pss summed over processes is the memory
 * they hold together. Linux only (4.14+); reading another user's process
 * needs the right to ptrace it. Throws when the process is gone or the file
 * has no Pss line.
 *
 * @example
 * const bytes = samplePss(process.pid);
 */
export function samplePss(pid: number): number {
  const file = `/proc/${pid}/smaps_rollup`;
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(
      `samplePss: cannot read ${file} (is process ${pid} running, on Linux 4.14 or later?): ${(error as Error).message}`,
      { cause: error },
    );
  }
  const kib = /^Pss:\s+(\d+) kB$/m.exec(text)?.[1];
  if (kib === undefined)
    throw new Error(
      `samplePss: ${file} has no "Pss: <n> kB" line; it starts ${JSON.stringify(text.slice(0, 120))}`,
    );
  return Number(kib) * 1024;
}

/** A process's Pss, or undefined when it ended (or cannot be read): for sampling trees whose processes come and go. */
export function findPss(pid: number): number | undefined {
  try {
    return samplePss(pid);
  } catch {
    return undefined;
  }
}

/**
 * The pids of a process tree: `root` and every descendant, found by the
 * parent pid in /proc/<pid>/stat. Processes that end while it reads are left
 * out; an ended `root` gives [].
 */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  let rootSeen = false;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // ended between listing and reading
    }
    if (pid === root) rootSeen = true;
    // Fields after "(comm)", which may hold spaces and parentheses: state ppid ...
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  if (!rootSeen) return [];
  const tree: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** The Pss of a process tree now, summed over its processes, in bytes, and how many processes were read. */
export function sampleTreePss(root: number): {
  bytes: number;
  processes: number;
} {
  let bytes = 0;
  let processes = 0;
  for (const pid of processTree(root)) {
    const pss = findPss(pid);
    if (pss === undefined) continue;
    bytes += pss;
    processes++;
  }
  return { bytes, processes };
}
