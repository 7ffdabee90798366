import { Command, CommanderError } from "commander";
import { SDK_VERSION } from "../version.ts";
import { LoupeClientError } from "../errors/loupe-client-error.ts";
import { buildExperimentsCommand } from "./build-experiments-command.ts";
import { buildLoginCommand } from "./build-login-command.ts";
import { buildModelsCommand } from "./build-models-command.ts";
import { buildRunCommand } from "./build-run-command.ts";
import { buildRunsCommand } from "./build-runs-command.ts";
import { defaultCliContext, type CliContext } from "./cli-context.ts";

/** Builds the `loupe` command tree. */
export function buildProgram(context: CliContext = defaultCliContext): Command {
  return new Command("loupe")
    .description(
      "Loupe: trace, patch and steer the internals of neural networks, locally or on hosted models.",
    )
    .version(SDK_VERSION, "-v, --version")
    .showHelpAfterError("(run `loupe --help` for usage)")
    .addCommand(buildLoginCommand(context))
    .addCommand(buildModelsCommand(undefined, context))
    .addCommand(buildRunCommand(context))
    .addCommand(buildRunsCommand(context))
    .addCommand(buildExperimentsCommand(context))
    .addHelpText(
      "after",
      "\nConfiguration: `loupe login` stores the server and key in ~/.config/loupe/config.json (mode 600);\nLOUPE_URL (default http://localhost:3000) and LOUPE_API_KEY override it.\nDocs: packages/sdk/README.md of the Loupe repository.",
    );
}

/** Errors whose message is written for the user (it names the thing and what was wrong); others are bugs and keep their stack. */
const USER_ERRORS = new Set([
  "ModelImportError",
  "EngineLoadError",
  "TraceError",
  "GraphValidationError",
  "GraphFormatError",
  "SyntaxError",
]);

/** Runs the CLI and returns its exit code (0 for help and version). */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram().exitOverride();
  inheritSettings(program);
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
    if (
      error instanceof LoupeClientError ||
      (error instanceof Error && USER_ERRORS.has(error.name)) ||
      (error instanceof Error && error.constructor === Error)
    ) {
      process.stderr.write(`error: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

/** Gives commands added with addCommand their parent's settings (exit override, output, help after errors), as `.command()` would. */
function inheritSettings(parent: Command): void {
  for (const command of parent.commands) {
    command.copyInheritedSettings(parent);
    inheritSettings(command);
  }
}
