import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { findUnpublishedImports } from "./check-imports.ts";
import { compilePackage } from "./compile-package.ts";
import {
  publishedManifest,
  type WorkspaceManifest,
} from "./published-manifest.ts";
import {
  PUBLISHED_PACKAGES,
  type PublishedPackage,
} from "./published-packages.ts";

/** A package `npm pack` made. */
export interface PackedPackage {
  readonly name: string;
  readonly version: string;
  /** Its workspace folder, relative to the repository root. */
  readonly dir: string;
  /** The tarball's absolute path. */
  readonly tarball: string;
}

/**
 * Builds @loupe/graph, @loupe/engine and @loupe/sdk into publishable
 * packages under `outDir/staging/<name>` and packs each into `outDir` with
 * `npm pack`. Fails, naming every import, when a built file imports a
 * package its manifest does not depend on.
 */
export function packPackages(
  repoRoot: string,
  outDir: string,
): PackedPackage[] {
  const manifests = PUBLISHED_PACKAGES.map((spec) =>
    readManifest(repoRoot, spec),
  );
  const versions = new Map(manifests.map((m) => [m.name, m.version]));
  const { engines } = JSON.parse(
    readFileSync(path.join(repoRoot, "package.json"), "utf8"),
  ) as {
    engines?: Record<string, string>;
  };
  rmSync(path.join(outDir, "staging"), { recursive: true, force: true });
  return PUBLISHED_PACKAGES.map((spec, i) => {
    const manifest = manifests[i]!;
    const stagingDir = path.join(
      outDir,
      "staging",
      manifest.name.replace("@loupe/", ""),
    );
    stagePackage(repoRoot, spec, stagingDir);
    const published = publishedManifest(
      manifest,
      { bin: spec.bin, files: spec.files },
      versions,
      engines,
    );
    writeFileSync(
      path.join(stagingDir, "package.json"),
      `${JSON.stringify(published, null, 2)}\n`,
    );
    const declared = new Set([
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
    ]);
    const problems = [...new Set(findUnpublishedImports(stagingDir, declared))];
    if (problems.length > 0)
      throw new Error(
        `${manifest.name} imports what its installs will not have:\n  ${problems.join("\n  ")}`,
      );
    return {
      name: manifest.name,
      version: manifest.version,
      dir: spec.dir,
      tarball: npmPack(stagingDir, outDir),
    };
  });
}

function readManifest(
  repoRoot: string,
  spec: PublishedPackage,
): WorkspaceManifest {
  return JSON.parse(
    readFileSync(path.join(repoRoot, spec.dir, "package.json"), "utf8"),
  ) as WorkspaceManifest;
}

function stagePackage(
  repoRoot: string,
  spec: PublishedPackage,
  stagingDir: string,
): void {
  const packageDir = path.join(repoRoot, spec.dir);
  const outDir = path.join(stagingDir, "dist");
  mkdirSync(outDir, { recursive: true });
  for (const [file, write] of Object.entries(spec.declarations ?? {}))
    writeFileSync(path.join(outDir, file), write(packageDir));
  compilePackage({
    packageDir,
    roots: spec.roots,
    outDir,
    declarationAliases: spec.declarationAliases,
  });
  spec.stage?.({ repoRoot, packageDir, stagingDir });
  for (const file of [
    "README.md",
    "LICENSE",
    ...spec.files.filter((f) => f.endsWith(".md")),
  ]) {
    const from = path.join(packageDir, file);
    if (existsSync(from)) copyFileSync(from, path.join(stagingDir, file));
  }
}

/** Packs a staged package into `outDir`; returns the tarball's path. */
function npmPack(stagingDir: string, outDir: string): string {
  const output = execFileSync(
    "npm",
    ["pack", "--json", "--ignore-scripts", "--pack-destination", outDir],
    { cwd: stagingDir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  );
  const [packed] = JSON.parse(output) as { filename: string }[];
  return path.join(outDir, packed!.filename);
}
