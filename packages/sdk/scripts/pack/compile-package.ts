import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

/** What to compile: a workspace package's entry files, into a staging folder. */
export interface CompileRequest {
  /** The package's folder (with its tsconfig.json and src/). */
  readonly packageDir: string;
  /** Entry files, relative to the package; compiled with all they import from src/. */
  readonly roots: readonly string[];
  /** Where src/'s JavaScript and declarations go (src/x/y.ts becomes outDir/x/y.js). */
  readonly outDir: string;
  /**
   * Bare specifiers whose types come from a declaration file already written
   * to outDir (name.d.ts for "name.js"): the compiler reads that file for
   * them, and the emitted declarations import it by a relative path.
   */
  readonly declarationAliases?: Readonly<Record<string, string>>;
}

/**
 * Compiles a package's TypeScript sources to ES modules with declarations,
 * one file per source file, so relative URLs (a worker thread's entry) keep
 * working. Other workspace packages stay imports by name (the compiler sees
 * them through node_modules and does not emit them); type checking is the
 * typecheck task's job, so this emit skips it. Relative `.ts` specifiers
 * become `.js` in the JavaScript (the compiler's rewrite) and in the
 * declarations (here).
 */
export function compilePackage(request: CompileRequest): void {
  const { packageDir, outDir } = request;
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(packageDir, "tsconfig.json"),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
  );
  if (!config) throw new Error(`${packageDir}: no readable tsconfig.json`);
  const aliases = request.declarationAliases ?? {};
  const paths = Object.fromEntries(
    Object.entries(aliases).map(([specifier, file]) => [
      specifier,
      [path.join(outDir, file.replace(/\.js$/, ".d.ts"))],
    ]),
  );
  const program = ts.createProgram(
    request.roots.map((root) => path.join(packageDir, root)),
    {
      ...config.options,
      noEmit: false,
      noCheck: true,
      declaration: true,
      rewriteRelativeImportExtensions: true,
      rootDir: path.join(packageDir, "src"),
      outDir,
      paths: { ...config.options.paths, ...paths },
    },
  );
  const result = program.emit(undefined, (file, text) => {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(
      file,
      file.endsWith(".d.ts")
        ? rewriteDeclarationSpecifiers(text, file, outDir, aliases)
        : text,
    );
  });
  const problems = [
    ...program.getOptionsDiagnostics(),
    ...program.getSyntacticDiagnostics(),
    ...result.diagnostics,
  ];
  if (problems.length > 0 || result.emitSkipped)
    throw new Error(
      `compiling ${packageDir} failed:\n${ts.formatDiagnostics(problems, {
        getCanonicalFileName: (f) => f,
        getCurrentDirectory: () => packageDir,
        getNewLine: () => "\n",
      })}`,
    );
}

const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*)(["'])([^"']+)\2/g;

/** `./x.ts` becomes `./x.js`; an aliased bare specifier becomes a relative path to its file. */
function rewriteDeclarationSpecifiers(
  text: string,
  file: string,
  outDir: string,
  aliases: Readonly<Record<string, string>>,
): string {
  return text.replace(
    SPECIFIER,
    (whole, lead: string, quote: string, specifier: string) => {
      const alias = aliases[specifier];
      if (alias !== undefined) {
        const relative = path.relative(
          path.dirname(file),
          path.join(outDir, alias),
        );
        return `${lead}${quote}${relative.startsWith(".") ? relative : `./${relative}`}${quote}`;
      }
      if (specifier.startsWith(".") && specifier.endsWith(".ts"))
        return `${lead}${quote}${specifier.slice(0, -3)}.js${quote}`;
      return whole;
    },
  );
}
