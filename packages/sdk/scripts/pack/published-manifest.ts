/** The fields of a workspace package.json that its published manifest reads. */
export interface WorkspaceManifest {
  readonly name: string;
  readonly version: string;
  readonly description?: string;
  readonly license?: string;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly peerDependenciesMeta?: Readonly<Record<string, unknown>>;
}

/** Where the built package's entry points are. */
export interface PublishedLayout {
  readonly bin?: Readonly<Record<string, string>>;
  readonly files: readonly string[];
}

/**
 * The package.json a workspace package is published with. Inside the
 * monorepo `exports` points at TypeScript sources (tsx, vitest, Next.js and
 * Temporal's bundler read them); the published one points at the built
 * JavaScript and its declarations. A dependency on another workspace
 * package becomes a range on the version packed beside it (the packages are
 * released together); one on a package that is not published is an error.
 */
export function publishedManifest(
  source: WorkspaceManifest,
  layout: PublishedLayout,
  published: ReadonlyMap<string, string>,
  engines: Readonly<Record<string, string>> | undefined,
): Record<string, unknown> {
  const pin = (deps: Readonly<Record<string, string>> | undefined) =>
    deps &&
    Object.fromEntries(
      Object.entries(deps).map(([name, range]) => {
        if (!name.startsWith("@loupe/")) return [name, range];
        const version = published.get(name);
        if (!version)
          throw new Error(
            `${source.name} depends on ${name}, which is not published: make it a devDependency or publish it`,
          );
        return [name, `^${version}`];
      }),
    );
  return {
    name: source.name,
    version: source.version,
    description: source.description,
    license: source.license,
    type: "module",
    engines,
    exports: {
      ".": { types: "./dist/index.d.ts", default: "./dist/index.js" },
      "./package.json": "./package.json",
    },
    types: "./dist/index.d.ts",
    bin: layout.bin,
    files: layout.files,
    dependencies: pin(source.dependencies),
    peerDependencies: pin(source.peerDependencies),
    peerDependenciesMeta: source.peerDependenciesMeta,
  };
}
