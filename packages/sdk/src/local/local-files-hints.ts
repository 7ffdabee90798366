/** Who runs a script: a program of the user's own ("script"), or `loupe run` ("cli"). */
export type Runner = "script" | "cli";

/** The fixes that messages about a model's files on this machine suggest. */
export interface LocalFilesHints {
  /** A model with no files here that a trace asked to run here. */
  readonly missing: (name: string) => string;
  /** Given files that hold another model than the name they were given for. */
  readonly fixFiles: string;
  /** Given files whose hash is not the hosted model's. */
  readonly useHosted: (name: string) => string;
}

/**
 * The fixes, worded for where the error is read: createLoupe's options and
 * trace options in a script; `loupe run`'s flags on the command line, where a
 * script's options cannot be changed. Each names something that works there.
 */
export function localFilesHints(runner: Runner): LocalFilesHints {
  const none = (name: string) =>
    `model ${name} has no files on this machine (no model bundled with @loupe/engine or in the model cache has the hosted model's hash)`;
  if (runner === "cli")
    return {
      missing: (name) =>
        `${none(name)}, so \`loupe run\` cannot run it here: download them with \`loupe models pull ${name}\`, run the script on the server with --remote, or give its files with --model-file ${name}=<path>/model.onnx`,
      fixFiles: "fix the --model-file flag",
      useHosted: (name) =>
        `Give the hosted model's files, or leave out --model-file ${name}=… to use the hosted model`,
    };
  return {
    missing: (name) =>
      `${none(name)}, so it cannot run with remote: false: download them with \`npx loupe models pull ${name}\`, trace it with { remote: true }, or pass modelFiles: { "${name}": "<path>/model.onnx" } to createLoupe`,
    fixFiles: "fix the modelFiles entry",
    useHosted: (name) =>
      `Use the hosted model's files, or drop modelFiles to read ${name} from the server`,
  };
}
