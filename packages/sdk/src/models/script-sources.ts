import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { traceSources, type Graph, type GraphSources } from "@loupe/graph";

/**
 * Where the script made each node of a traced graph, as "path:line" with
 * the path relative to the script's project (the nearest folder above it
 * with a package.json, else the working directory; a script outside both
 * keeps its absolute path): what a run sends beside
 * its graph, so that a validation error names the script's line, here or on
 * the server. Undefined for a graph with no known sources (one read from a
 * file, say).
 */
export function scriptSources(
  graph: Graph,
  cwd: string = process.cwd(),
): GraphSources | undefined {
  const frames = traceSources(graph);
  if (frames.size === 0) return undefined;
  const roots = new Map<string, string>();
  const sources: Record<string, string> = {};
  for (const [id, frame] of frames)
    sources[id] = `${projectPath(frame.file, cwd, roots)}:${frame.line}`;
  return sources;
}

/** A script's path relative to its project, with forward slashes; a name that is no file path stays as it is. */
function projectPath(
  file: string,
  cwd: string,
  roots: Map<string, string>,
): string {
  const absolute = file.startsWith("file:") ? fileURLToPath(file) : file;
  if (!path.isAbsolute(absolute)) return file;
  const folder = path.dirname(absolute);
  let root = roots.get(folder);
  if (root === undefined) {
    root = projectRoot(folder) ?? cwd;
    roots.set(folder, root);
  }
  const relative = path.relative(root, absolute);
  // A script outside the working directory and any project keeps its full path.
  return relative.startsWith("..")
    ? absolute
    : relative.split(path.sep).join("/");
}

/** The nearest folder at or above `folder` with a package.json. */
function projectRoot(folder: string): string | undefined {
  for (let dir = folder; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}
