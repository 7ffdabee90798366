import type { Manifest, ModuleSpec } from "./manifest-schema.ts";

/** A module path resolved against a manifest. */
export interface ResolvedModule {
  /** The path as the manifest names it (aliases replaced). */
  readonly real: string;
  /** The module, when the path names one (containers such as `transformer.h` have none). */
  readonly spec: ModuleSpec | undefined;
}

/**
 * Looks module paths up in a manifest, through its aliases, and suggests the
 * nearest names for a path that does not exist.
 */
export class ModuleIndex {
  readonly #byPath = new Map<string, ModuleSpec>();
  readonly #children = new Map<string, Set<string>>();
  readonly #aliases: { pattern: string[]; target: string[] }[];

  constructor(readonly manifest: Manifest) {
    for (const spec of manifest.modules) {
      this.#byPath.set(spec.path, spec);
      const parts = spec.path === "" ? [] : spec.path.split(".");
      for (let i = 0; i < parts.length; i++)
        this.#child(parts.slice(0, i).join("."), parts[i]!);
    }
    this.#aliases = Object.entries(manifest.aliases)
      .map(([alias, target]) => ({
        pattern: alias.split("."),
        target: target.split("."),
      }))
      .sort((a, b) => b.pattern.length - a.pattern.length);
    for (const { pattern } of this.#aliases) {
      for (let i = 0; i < pattern.length; i++) {
        if (pattern[i] !== "*")
          this.#child(pattern.slice(0, i).join("."), pattern[i]!, true);
      }
    }
  }

  #child(parent: string, name: string, alias = false): void {
    const key = alias ? `alias:${parent}` : parent;
    let set = this.#children.get(key);
    if (!set) this.#children.set(key, (set = new Set()));
    set.add(name);
  }

  /** The module at `path` (written with or without aliases), or undefined. */
  resolve(path: string): ResolvedModule | undefined {
    const real = this.#dealias(path);
    if (this.#byPath.has(real)) return { real, spec: this.#byPath.get(real) };
    return this.#children.has(real) ? { real, spec: undefined } : undefined;
  }

  /** The module spec of `path`, or undefined when the path names no module. */
  module(path: string): ModuleSpec | undefined {
    return this.resolve(path)?.spec;
  }

  /** Replaces the longest alias prefix of `path` with its target. */
  #dealias(path: string): string {
    if (path === "") return path;
    const parts = path.split(".");
    for (const { pattern, target } of this.#aliases) {
      if (pattern.length > parts.length) continue;
      const stars: string[] = [];
      const matches = pattern.every((seg, i) => {
        if (seg !== "*") return seg === parts[i];
        if (!/^\d+$/.test(parts[i]!)) return false;
        stars.push(parts[i]!);
        return true;
      });
      if (!matches) continue;
      let k = 0;
      const head = target.map((seg) =>
        seg === "*" ? (stars[k++] ?? seg) : seg,
      );
      return [...head, ...parts.slice(pattern.length)].join(".");
    }
    return path;
  }

  /** Names that may follow `path` (real children and alias children). */
  childrenOf(path: string): string[] {
    const names = new Set(this.#children.get(this.#dealias(path)) ?? []);
    const aliasParent = path.replace(/(^|\.)\d+(?=\.|$)/g, "$1*");
    for (const n of this.#children.get(`alias:${aliasParent}`) ?? [])
      names.add(n);
    return [...names];
  }

  /**
   * Up to three existing paths near an unknown one: siblings of its first
   * unknown segment, nearest by edit distance.
   */
  suggest(path: string): string[] {
    const parts = path.split(".");
    let known = 0;
    while (
      known < parts.length &&
      this.resolve(parts.slice(0, known + 1).join("."))
    )
      known++;
    const parent = parts.slice(0, known).join(".");
    const wrong = parts[known] ?? "";
    return this.childrenOf(parent)
      .map((name) => ({ name, d: editDistance(wrong, name) }))
      .filter(({ d, name }) => d <= Math.max(2, Math.floor(name.length / 3)))
      .sort((a, b) => a.d - b.d || a.name.localeCompare(b.name))
      .slice(0, 3)
      .map(({ name }) =>
        [parent, name, ...parts.slice(known + 1)]
          .filter((s) => s !== "")
          .join("."),
      );
  }
}

/** Levenshtein distance (small strings; written here to keep the package dependency-free). */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(
        row[j]! + 1,
        row[j - 1]! + 1,
        diagonal + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** "unknown module "x": did you mean "y"?" */
export function unknownModuleMessage(index: ModuleIndex, path: string): string {
  const suggestions = index.suggest(path);
  const hint =
    suggestions.length === 0
      ? ""
      : `: did you mean ${suggestions.map((s) => `"${s}"`).join(" or ")}?`;
  return `unknown module "${path}"${hint}`;
}
