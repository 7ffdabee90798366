import type { ModelFileImport } from "../models/import-model-file.ts";

/**
 * The report `loupe models import` prints: the model, its module and call
 * counts, hash, tokenizer, where the manifest went, and every module left out
 * with the reason (the importer never guesses one).
 */
export function formatImportSummary({
  manifestPath,
  file,
}: ModelFileImport): string {
  const { model, modules } = file.manifest;
  const calls = modules.reduce((n, m) => n + m.calls.length, 0);
  const lines = [
    `Imported ${model.name} (${model.architecture})`,
    `  modules     ${modules.length} (${calls} calls)`,
    `  hash        ${model.hash ?? "none"}`,
    `  tokenizer   ${file.tokenizer ? `${file.tokenizer.file} (${file.tokenizer.sha256})` : "none"}`,
    `  manifest    ${manifestPath}`,
  ];
  if (file.unresolved.length === 0) {
    lines.push("  unresolved  none");
  } else {
    lines.push(
      `  unresolved  ${file.unresolved.length} modules left out of the manifest (never guessed):`,
      ...file.unresolved.map(
        (u) => `    ${u.path === "" ? "(model)" : u.path}: ${u.reason}`,
      ),
    );
  }
  const overrides = Object.entries(file.tuple ?? {});
  for (const [pattern, tuple] of overrides)
    lines.push(
      `  tuple       ${pattern} ${tuple ? "returns a tuple" : "returns a single tensor"} (--tuple)`,
    );
  for (const a of file.assumptions ?? [])
    lines.push(
      `  assumed     ${a.modules} ${a.tuple ? "returns a tuple" : "returns a single tensor"}: ${a.reason}`,
    );
  const unplaced = file.unplacedParams ?? [];
  if (unplaced.length === 0)
    lines.push("  parameters  every weight placed on its module");
  else
    lines.push(
      `  parameters  ${unplaced.length} weights no module claims (not reachable with .param()):`,
      ...unplaced.map(
        (u) =>
          `    ${u.tensor}, read by ${u.usedBy.map((p) => (p === "" ? "(model)" : p)).join(", ") || "nothing"}: ${u.reason}`,
      ),
    );
  const ops = modules.reduce(
    (n, m) => n + m.calls.reduce((k, c) => k + (c.source?.length ?? 0), 0),
    0,
  );
  const unreachable = file.unreachable ?? [];
  lines.push(
    `  source      ${ops} operations inside modules (.source); ${unreachable.length === 0 ? "nothing unreachable" : `${unreachable.length} unreachable:`}`,
    ...unreachable.map(
      (u) =>
        `    ${u.path === "" ? "(model)" : u.path}${u.call > 0 ? `.calls[${u.call}]` : ""}.source.${u.name}: ${u.reason}`,
    ),
  );
  return `${lines.join("\n")}\n`;
}
