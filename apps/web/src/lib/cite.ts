/** What a citation of one experiment version names. */
export interface CitationInput {
  readonly experimentId: string;
  readonly version: number;
  readonly title: string;
  readonly authors: readonly string[];
  readonly year: number;
  readonly url: string;
  readonly license: string;
  /** The graph's content hash, with or without its `sha256:` prefix. */
  readonly graphHash: string;
  readonly model: string;
}

/** LaTeX for each character BibTeX or LaTeX would otherwise read as syntax. */
const TEXT_ESCAPES: Record<string, string> = {
  "\\": "\\textbackslash{}",
  "{": "\\{",
  "}": "\\}",
  "&": "\\&",
  "%": "\\%",
  $: "\\$",
  "#": "\\#",
  _: "\\_",
  "~": "\\textasciitilde{}",
  "^": "\\textasciicircum{}",
};

/** Text as LaTeX that prints it verbatim; whitespace runs (newlines too) become one space. */
function escapeText(text: string): string {
  return text
    .trim()
    .replace(/\s+/g, " ")
    .replace(/[\\{}&%$#_~^]/g, (c) => TEXT_ESCAPES[c]!);
}

/**
 * An author for BibTeX's `author` field. A name that itself contains the word
 * "and" (a lab, "Smith and Sons") is braced, or BibTeX would split it in two.
 */
function escapeAuthor(name: string): string {
  const text = escapeText(name);
  return /\band\b/i.test(text) ? `{${text}}` : text;
}

/**
 * A URL for `\url{…}`: parsed (it must be absolute http or https), braces and
 * backslashes percent-encoded, and `%` and `#` escaped, which hyperref's \url
 * needs once the URL sits inside a BibTeX field (another command's argument).
 */
function escapeUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RangeError(
      `bibtexFor: url must be an absolute http(s) URL, got ${JSON.stringify(url)}`,
    );
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:")
    throw new RangeError(
      `bibtexFor: url must be an absolute http(s) URL, got ${JSON.stringify(url)}`,
    );
  return parsed.href
    .replace(/[{}\\]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/[%#]/g, (c) => `\\${c}`);
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(
      `bibtexFor: ${name} must be a positive integer, got ${value}`,
    );
  return value;
}

/**
 * A BibTeX `@misc` entry citing one version of an experiment, keyed
 * `loupe-<first 8 letters or digits of the id>-v<version>`. Every text field is
 * escaped for LaTeX; the title is double-braced so styles keep its capitals.
 * Throws a RangeError naming the field for a version or year that is not a
 * positive integer, or a URL that is not absolute http(s).
 *
 * @example
 * bibtexFor({ experimentId: "cm1abc23xyz", version: 2, title: "Paris to Rome",
 *   authors: ["Ada Lovelace"], year: 2025, url: "https://loupe.example/e/cm1abc23xyz/v/2",
 *   license: "CC-BY-4.0", graphHash: "sha256:ab12…", model: "facts-gpt2" });
 * // @misc{loupe-cm1abc23-v2,
 * //   title = {{Paris to Rome}}, …
 */
export function bibtexFor(input: CitationInput): string {
  const version = positiveInteger("version", input.version);
  const year = positiveInteger("year", input.year);
  const shortId =
    input.experimentId
      .replace(/[^A-Za-z0-9]/g, "")
      .slice(0, 8)
      .toLowerCase() || "experiment";
  const hash = input.graphHash.replace(/^sha256:/, "");
  const authors = input.authors
    .filter((a) => a.trim() !== "")
    .map(escapeAuthor)
    .join(" and ");
  const fields: [string, string][] = [
    ["title", `{${escapeText(input.title)}}`],
    ...(authors ? [["author", authors] as [string, string]] : []),
    ["year", String(year)],
    ["howpublished", `\\url{${escapeUrl(input.url)}}`],
    [
      "note",
      escapeText(
        `Loupe experiment, version ${version}, model ${input.model}, graph sha256:${hash}, license ${input.license}`,
      ),
    ],
  ];
  return [
    `@misc{loupe-${shortId}-v${version},`,
    fields.map(([name, value]) => `  ${name} = {${value}}`).join(",\n"),
    "}",
  ].join("\n");
}
