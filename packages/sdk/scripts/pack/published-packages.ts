import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { SDK_VERSION } from "../../src/version.ts";
import { writeRouterView } from "./write-router-view.ts";

/** Where a package is staged: its sources and the folder that becomes the tarball. */
export interface StagingContext {
  readonly repoRoot: string;
  readonly packageDir: string;
  readonly stagingDir: string;
}

/** How one workspace package becomes a published one. */
export interface PublishedPackage {
  /** The workspace folder, relative to the repository root. */
  readonly dir: string;
  /** Entry sources (relative to the package) whose import graph is compiled. */
  readonly roots: readonly string[];
  /** Files and folders of the tarball besides package.json (npm adds README.md and LICENSE). */
  readonly files: readonly string[];
  readonly bin?: Readonly<Record<string, string>>;
  /** Declarations written to dist/ before compiling, by file name. */
  readonly declarations?: Readonly<
    Record<string, (packageDir: string) => string>
  >;
  /** Bare specifiers typed by one of those declarations (see CompileRequest). */
  readonly declarationAliases?: Readonly<Record<string, string>>;
  /** Writes what compiling does not: entry scripts, data. */
  readonly stage?: (context: StagingContext) => void;
}

/** The bundled model's files, shipped in @loupe/engine (its bundledModelFiles() finds them there). */
const BUNDLED_MODEL_FILES = [
  "model.onnx",
  "model.manifest.json",
  "tokenizer.json",
];

/**
 * The published packages, dependencies first. @loupe/api is not one of them:
 * the SDK's declarations carry the router's type (writeRouterView) instead.
 */
export const PUBLISHED_PACKAGES: readonly PublishedPackage[] = [
  {
    dir: "packages/graph",
    roots: ["src/index.ts"],
    files: ["dist", "FORMAT.md"],
  },
  {
    dir: "packages/engine",
    roots: ["src/index.ts", "src/thread/engine-thread.ts"],
    files: ["dist", "models"],
    stage: ({ repoRoot, stagingDir }) => {
      // In the monorepo the thread's entry registers tsx to load TypeScript;
      // the published one loads the compiled thread.
      writeFileSync(
        path.join(stagingDir, "dist", "thread", "engine-thread-entry.mjs"),
        '// Entry of the engine thread (see engine-thread-client.js).\nawait import("./engine-thread.js");\n',
      );
      const models = path.join(stagingDir, "models", "facts");
      mkdirSync(models, { recursive: true });
      for (const name of BUNDLED_MODEL_FILES)
        copyFileSync(
          path.join(repoRoot, "models", "facts", name),
          path.join(models, name),
        );
    },
  },
  {
    dir: "packages/sdk",
    roots: ["src/index.ts", "src/cli/main.ts"],
    files: ["dist", "bin"],
    bin: { loupe: "./bin/loupe.mjs" },
    declarations: { "api-router.d.ts": writeRouterView },
    declarationAliases: { "@loupe/api": "api-router.js" },
    stage: ({ packageDir, stagingDir }) => {
      assertSdkVersion(packageDir);
      mkdirSync(path.join(stagingDir, "bin"), { recursive: true });
      writeFileSync(path.join(stagingDir, "bin", "loupe.mjs"), PUBLISHED_BIN, {
        mode: 0o755,
      });
    },
  },
];

/** The version the SDK sends to servers must be the one it is published as. */
function assertSdkVersion(packageDir: string): void {
  const { version } = JSON.parse(
    readFileSync(path.join(packageDir, "package.json"), "utf8"),
  ) as { version: string };
  if (SDK_VERSION !== version)
    throw new Error(
      `src/version.ts says SDK_VERSION ${SDK_VERSION}, package.json says ${version}: make them equal before packing`,
    );
}

/**
 * The published `loupe` command: the CLI is compiled, and tsx is registered
 * only so that `loupe run script.ts` can load the user's TypeScript.
 */
const PUBLISHED_BIN = `#!/usr/bin/env node
// The \`loupe\` command. tsx is registered so that \`loupe run\` loads TypeScript scripts.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../dist/cli/main.js");
process.exitCode = await main(process.argv);
`;
