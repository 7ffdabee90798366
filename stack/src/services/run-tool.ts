import { spawn } from "node:child_process";
import path from "node:path";

/**
 * Runs a tool from the repository's node_modules/.bin in the foreground with
 * inherited output; resolves with its exit code.
 */
export function runTool(
  repoRoot: string,
  tool: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  cwd = repoRoot,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      path.join(repoRoot, "node_modules", ".bin", tool),
      args,
      { cwd, env, stdio: "inherit" },
    );
    child.once("error", reject);
    child.once("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** Like runTool, but throws when the tool fails. */
export async function runToolOrThrow(
  repoRoot: string,
  tool: string,
  args: readonly string[],
  env?: NodeJS.ProcessEnv,
): Promise<void> {
  const code = await runTool(repoRoot, tool, args, env);
  if (code !== 0)
    throw new Error(`${tool} ${args.join(" ")} failed with exit code ${code}`);
}
