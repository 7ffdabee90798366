import { Command, CommanderError } from "commander";
import { SDK_VERSION } from "../version.ts";

/** Builds the `loupe` command tree; later issues add commands here. */
export function buildProgram(): Command {
  return new Command("loupe")
    .description(
      "Loupe: trace, patch and steer the internals of neural networks, locally or on hosted models.",
    )
    .version(SDK_VERSION, "-v, --version")
    .showHelpAfterError("(run `loupe --help` for usage)")
    .addHelpText(
      "after",
      "\nConfiguration: LOUPE_URL (default http://localhost:3000) and LOUPE_API_KEY.\nDocs: README.md of the Loupe repository.",
    );
}

/** Runs the CLI and returns its exit code (0 for help and version). */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync([...argv]);
    if (argv.length <= 2) program.outputHelp();
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === "commander.helpDisplayed" ||
        error.code === "commander.version"
        ? 0
        : error.exitCode || 1;
    }
    throw error;
  }
}
