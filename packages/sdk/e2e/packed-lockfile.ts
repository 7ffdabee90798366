/** A package-lock.json (lockfileVersion 3) entry, as npm writes it. */
interface LockEntry {
  readonly version?: string;
  readonly resolved?: string;
  readonly link?: boolean;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly peerDependenciesMeta?: Readonly<
    Record<string, { optional?: boolean }>
  >;
  readonly [field: string]: unknown;
}

/** A lockfile's `packages`: "" (the root), "node_modules/x", "packages/sdk", … */
type LockPackages = Readonly<Record<string, LockEntry>>;

/** The part of a package-lock.json this reads. */
export interface RepositoryLockfile {
  readonly packages: LockPackages;
}

/** A tarball to install and the workspace package it was packed from. */
export interface PackedTarball {
  readonly name: string;
  readonly version: string;
  /** The workspace folder, relative to the repository root ("packages/sdk"). */
  readonly dir: string;
  readonly tarball: string;
}

/**
 * A lockfile for a fresh project that installs `tarballs`, with every other
 * package at the version the repository's lockfile resolved. `npm ci
 * --offline` installs it from the cache that the repository's `npm ci`
 * filled: a plain `npm install` of the tarballs would ask the registry for
 * each dependency's versions (a document `npm ci` never downloads).
 *
 * `extras` are registry packages the project depends on besides (say,
 * typescript), at the repository's versions.
 *
 * The dependencies are found as Node finds them from each package's folder
 * (its own node_modules, then its parents'), and keep their places: one
 * nested under a workspace folder moves under the package's folder here.
 */
export function lockfileForTarballs(
  repoLock: RepositoryLockfile,
  tarballs: readonly PackedTarball[],
  extras: readonly string[] = [],
): { lockfileVersion: 3; requires: true; packages: Record<string, LockEntry> } {
  const repo = repoLock.packages;
  const packed = new Map(tarballs.map((t) => [t.name, t]));
  const pending: { from: string; entry: LockEntry }[] = [];
  const dependencies: Record<string, string> = {};
  const packages: Record<string, LockEntry> = {
    "": { name: "loupe-packed-install", dependencies },
  };
  for (const name of extras) {
    const at = `node_modules/${name}`;
    const entry = repo[at];
    if (!entry?.version)
      throw new Error(`${name} is not in the repository's lockfile`);
    const { dev: _dev, devOptional: _devOptional, ...kept } = entry;
    packages[at] = kept;
    dependencies[name] = entry.version;
    pending.push({ from: at, entry });
  }
  for (const t of tarballs) {
    dependencies[t.name] = `file:${t.tarball}`;
    const source = repo[t.dir];
    if (!source)
      throw new Error(`${t.dir} is not in the repository's lockfile`);
    const at = `node_modules/${t.name}`;
    const { devDependencies: _dev, name: _name, ...entry } = source;
    packages[at] = {
      ...entry,
      version: t.version,
      resolved: `file:${t.tarball}`,
      dependencies: pinned(entry.dependencies, packed),
    };
    pending.push({ from: t.dir, entry: source });
  }
  while (pending.length > 0) {
    const { from, entry } = pending.pop()!;
    for (const name of runtimeDependencies(entry)) {
      if (packed.has(name)) continue;
      const found = resolveInLock(repo, from, name);
      if (!found) {
        if (entry.optionalDependencies?.[name]) continue;
        throw new Error(
          `${from} needs ${name}, which the repository's lockfile does not hold`,
        );
      }
      const place = placeOf(found, tarballs);
      if (packages[place]) continue;
      const { dev: _dev, devOptional: _devOptional, ...kept } = repo[found]!;
      packages[place] = kept;
      pending.push({ from: found, entry: repo[found]! });
    }
  }
  return { lockfileVersion: 3, requires: true, packages };
}

/** A packed package's dependencies on its siblings, as the published manifest has them. */
function pinned(
  deps: Readonly<Record<string, string>> | undefined,
  packed: ReadonlyMap<string, PackedTarball>,
): Record<string, string> | undefined {
  if (!deps) return undefined;
  return Object.fromEntries(
    Object.entries(deps).map(([name, range]) => {
      const sibling = packed.get(name);
      return [name, sibling ? `^${sibling.version}` : range];
    }),
  );
}

/** Dependencies an install brings: regular, optional, and non-optional peers. */
function runtimeDependencies(entry: LockEntry): string[] {
  const peers = Object.keys(entry.peerDependencies ?? {}).filter(
    (name) => !entry.peerDependenciesMeta?.[name]?.optional,
  );
  return [
    ...Object.keys(entry.dependencies ?? {}),
    ...Object.keys(entry.optionalDependencies ?? {}),
    ...peers,
  ];
}

/** The lockfile key Node's lookup from `from` reaches for `name`, if any. */
function resolveInLock(
  repo: LockPackages,
  from: string,
  name: string,
): string | undefined {
  for (let dir = from; ; dir = parentOf(dir)) {
    const key =
      dir === "" ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    if (repo[key] && !repo[key].link) return key;
    if (dir === "") return undefined;
  }
}

/** "node_modules/a/node_modules/b" → "node_modules/a"; "packages/sdk" → "". */
function parentOf(dir: string): string {
  const at = dir.lastIndexOf("/node_modules/");
  return at >= 0 ? dir.slice(0, at) : "";
}

/** Where a repository lockfile key goes in the new project: under a workspace folder moves under its package. */
function placeOf(found: string, tarballs: readonly PackedTarball[]): string {
  const owner = tarballs.find((t) => found.startsWith(`${t.dir}/`));
  return owner
    ? `node_modules/${owner.name}${found.slice(owner.dir.length)}`
    : found;
}
