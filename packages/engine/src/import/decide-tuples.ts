import type { ModuleTree } from "../onnx/extract-module-tree.ts";
import type { ArchitectureProfile } from "./architecture-profiles.ts";

/** What the importer could not read from the export and took as given. */
export interface TupleAssumption {
  /** The modules, as a pattern (`transformer.h.*`: `*` is one path segment). */
  readonly modules: string;
  readonly tuple: boolean;
  readonly reason: string;
}

/**
 * Whether a module path matches a pattern: dotted segments, `*` standing for
 * any one segment (`transformer.h.*.attn`), `**` for any number of them.
 */
export function matchesModulePattern(pattern: string, path: string): boolean {
  const source = pattern
    .split(".")
    .map((s) =>
      s === "**"
        ? ".*"
        : s === "*"
          ? "[^.]+"
          : s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
    )
    .join("\\.");
  return new RegExp(`^${source}$`).test(path);
}

/**
 * Whether each module returns a tuple (`.output[0]`, as NNsight reads a
 * PyTorch module that returns one) or a single tensor. Neither exporter
 * records a module's return structure: a Python tuple leaves no node. In
 * order, the first that applies decides:
 *
 * 1. an override the importer was given (`--tuple 'transformer.h.*=false'`;
 *    the first pattern listed that matches wins);
 * 2. the export itself: the model returns a ModelOutput (logits first), and
 *    the innermost module whose call hands a `present.*` key/value output to
 *    the graph's outputs (the attention) returns it beside its hidden state
 *    (the modules around it pass the cache on in ways the export does not
 *    show, so they are left to the next rules);
 * 3. the architecture's profile (transformers 4.x's blocks and attention
 *    return tuples), recorded as an assumption;
 * 4. otherwise a single tensor, also recorded as an assumption.
 *
 * Returns the decision per module path and the assumptions, one per pattern,
 * for the import report.
 */
export function decideTuples(
  tree: ModuleTree,
  graphOutputs: readonly string[],
  profile: ArchitectureProfile | undefined,
  overrides: Readonly<Record<string, boolean>> = {},
): {
  readonly tuple: ReadonlyMap<string, boolean>;
  readonly assumptions: readonly TupleAssumption[];
} {
  // For each present.* output, the innermost module whose call hands it out.
  const handsOutCache = new Set<string>();
  for (const present of graphOutputs.filter((o) => /^present/.test(o))) {
    let innermost: string | undefined;
    for (const m of tree.modules)
      if (
        m.calls.some((c) => c.outputs.includes(present)) &&
        (innermost === undefined || m.path.length > innermost.length)
      )
        innermost = m.path;
    if (innermost !== undefined) handsOutCache.add(innermost);
  }
  const tuple = new Map<string, boolean>();
  const byProfile = new Map<string, number>();
  let singles = 0;
  for (const m of tree.modules) {
    const override = Object.entries(overrides).find(([p]) =>
      matchesModulePattern(p, m.path),
    );
    if (override) {
      tuple.set(m.path, override[1]);
      continue;
    }
    if (m.path === "" || handsOutCache.has(m.path)) {
      tuple.set(m.path, true);
      continue;
    }
    const pattern = profile?.tupleModules.find((p) =>
      matchesModulePattern(p, m.path),
    );
    if (pattern) {
      tuple.set(m.path, true);
      byProfile.set(pattern, (byProfile.get(pattern) ?? 0) + 1);
      continue;
    }
    tuple.set(m.path, false);
    singles++;
  }
  const assumptions: TupleAssumption[] = [...byProfile].map(([modules, n]) => ({
    modules,
    tuple: true,
    reason: `${n} module(s); ${profile!.architecture}'s do in transformers 4.x, and the export cannot tell (plain tensors: --tuple '${modules}=false')`,
  }));
  if (singles > 0)
    assumptions.push({
      modules: "*",
      tuple: false,
      reason: `${singles} module(s); the export cannot tell (a tuple: --tuple '<pattern>=true')`,
    });
  return { tuple, assumptions };
}
