import fs from "node:fs";
import path from "node:path";

/** Where the supervisor's lines go: its terminal while it has one, and its log file always. */
export interface SupervisorOutput {
  /** The log file that receives every line, whatever happens to stdout and stderr. */
  readonly file: string;
  /** Writes a line to stdout (while it can be written) and to the log file. */
  log(line: string): void;
  /** Writes a line to stderr (while it can be written) and to the log file. */
  error(line: string): void;
}

type StreamName = "stdout" | "stderr";

/**
 * Makes the supervisor's output survive the loss of its terminal or pipe
 * (`npm start | tee log` after Ctrl-C, `| head`, a closed terminal). A write to
 * a pipe without a reader fails with EPIPE, which Node emits as an 'error'
 * event on process.stdout; without a listener that event crashes the process,
 * and a crashed supervisor leaves its services running. This installs
 * listeners on both streams for the life of the process: after a stream fails,
 * its lines go to `file` only (each line always goes there, time-stamped).
 *
 * @example
 * const output = createSupervisorOutput(".loupe/dev/logs/supervisor.log");
 * output.log("Loupe is up");
 */
export function createSupervisorOutput(
  file: string,
  streams: Record<StreamName, NodeJS.WritableStream> = {
    stdout: process.stdout,
    stderr: process.stderr,
  },
): SupervisorOutput {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const append = (text: string) => {
    const stamp = new Date().toISOString();
    try {
      fs.appendFileSync(
        file,
        text
          .split("\n")
          .map((line) => `${stamp} ${line}\n`)
          .join(""),
      );
    } catch {
      // The log file is the last resort; nothing is left to report its loss to.
    }
  };
  const usable: Record<StreamName, boolean> = { stdout: true, stderr: true };
  for (const name of ["stdout", "stderr"] as const) {
    streams[name].on("error", (error: NodeJS.ErrnoException) => {
      if (!usable[name]) return;
      usable[name] = false;
      append(
        `[supervisor] ${name} failed (${error.code ?? error.message}); its lines continue in this file only`,
      );
    });
  }
  const write = (name: StreamName, line: string) => {
    append(line);
    if (!usable[name]) return;
    try {
      streams[name].write(`${line}\n`);
    } catch {
      usable[name] = false;
    }
  };
  return {
    file,
    log: (line) => write("stdout", line),
    error: (line) => write("stderr", line),
  };
}
