import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import ts from "typescript";

const CODE = /\.(?:m?js|d\.ts)$/;

/**
 * Every import of a staged package that will not resolve once it is installed
 * from the registry: a bare name that is neither a Node builtin nor one of
 * its dependencies (a private workspace package, a root devDependency), or a
 * relative `.ts` file. Returns every problem, as "file: specifier (why)".
 */
export function findUnpublishedImports(
  stagingDir: string,
  declared: ReadonlySet<string>,
): string[] {
  const problems: string[] = [];
  for (const file of listFiles(stagingDir).filter((f) => CODE.test(f))) {
    // The compiler's own scan: imports, re-exports, import() and import types.
    const { importedFiles } = ts.preProcessFile(
      readFileSync(file, "utf8"),
      true,
      true,
    );
    for (const { fileName: specifier } of importedFiles) {
      const why = unresolvable(specifier, declared);
      if (why)
        problems.push(
          `${path.relative(stagingDir, file)}: ${specifier} (${why})`,
        );
    }
  }
  return problems;
}

function unresolvable(
  specifier: string,
  declared: ReadonlySet<string>,
): string | undefined {
  if (specifier.startsWith("."))
    return specifier.endsWith(".ts") && !specifier.endsWith(".d.ts")
      ? "a TypeScript source"
      : undefined;
  if (specifier.startsWith("node:") || builtinModules.includes(specifier))
    return undefined;
  const parts = specifier.split("/");
  const name = specifier.startsWith("@")
    ? parts.slice(0, 2).join("/")
    : parts[0]!;
  return declared.has(name) ? undefined : "not a dependency of the package";
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}
