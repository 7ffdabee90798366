import { describe, expect, it } from "vitest";
import { bibtexFor, type CitationInput } from "./cite";

const base: CitationInput = {
  experimentId: "cm4x9k2p7q0001abcd",
  version: 3,
  title: "Paris to Rome: activation patching",
  authors: ["Ada Lovelace", "Alan Turing"],
  year: 2025,
  url: "https://loupe.example/experiments/cm4x9k2p7q0001abcd/versions/3",
  license: "CC-BY-4.0",
  graphHash: "sha256:0123abcd",
  model: "facts-gpt2",
};

describe("bibtexFor", () => {
  it("writes a @misc entry keyed by the short id and version", () => {
    expect(bibtexFor(base)).toBe(
      [
        "@misc{loupe-cm4x9k2p-v3,",
        "  title = {{Paris to Rome: activation patching}},",
        "  author = {Ada Lovelace and Alan Turing},",
        "  year = {2025},",
        "  howpublished = {\\url{https://loupe.example/experiments/cm4x9k2p7q0001abcd/versions/3}},",
        "  note = {Loupe experiment, version 3, model facts-gpt2, graph sha256:0123abcd, license CC-BY-4.0}",
        "}",
      ].join("\n"),
    );
  });

  it.each([
    ["&", "\\&"],
    ["%", "\\%"],
    ["$", "\\$"],
    ["#", "\\#"],
    ["_", "\\_"],
    ["{", "\\{"],
    ["}", "\\}"],
    ["~", "\\textasciitilde{}"],
    ["^", "\\textasciicircum{}"],
    ["\\", "\\textbackslash{}"],
  ])("escapes %s in text fields", (char, escaped) => {
    const entry = bibtexFor({
      ...base,
      title: `a${char}b`,
      authors: [`c${char}d`],
      model: `m${char}`,
      license: `l${char}`,
    });
    expect(entry).toContain(`title = {{a${escaped}b}}`);
    expect(entry).toContain(`author = {c${escaped}d}`);
    expect(entry).toContain(`model m${escaped},`);
    expect(entry).toContain(`license l${escaped}}`);
  });

  it("escapes a backslash once, not its own replacement's braces", () => {
    expect(bibtexFor({ ...base, title: "\\{x}" })).toContain(
      "title = {{\\textbackslash{}\\{x\\}}}",
    );
  });

  it("braces an author whose name contains 'and', and drops empty names", () => {
    expect(
      bibtexFor({
        ...base,
        authors: ["Smith and Sons Lab", " ", "Grace Hopper"],
      }),
    ).toContain("author = {{Smith and Sons Lab} and Grace Hopper},");
  });

  it("leaves the author field out when there is no author", () => {
    expect(bibtexFor({ ...base, authors: [] })).not.toContain("author");
  });

  it("keeps a URL intact for \\url, escaping % and # and encoding braces", () => {
    expect(
      bibtexFor({ ...base, url: "https://x.example/a%20b?q={1}#v3" }),
    ).toContain(
      "howpublished = {\\url{https://x.example/a\\%20b?q=\\%7B1\\%7D\\#v3}},",
    );
  });

  it("adds the sha256: prefix only when the hash lacks it", () => {
    expect(bibtexFor({ ...base, graphHash: "0123abcd" })).toContain(
      "graph sha256:0123abcd,",
    );
  });

  it("keeps only letters and digits of the id in the key, lowercased", () => {
    expect(bibtexFor({ ...base, experimentId: "AB_cd-12 34xyz" })).toMatch(
      /^@misc\{loupe-abcd1234-v3,/,
    );
  });

  it("collapses whitespace and newlines in text", () => {
    expect(bibtexFor({ ...base, title: "  two\n\nlines  " })).toContain(
      "title = {{two lines}}",
    );
  });

  it.each([
    [{ version: 0 }, "bibtexFor: version must be a positive integer, got 0"],
    [
      { year: 2025.5 },
      "bibtexFor: year must be a positive integer, got 2025.5",
    ],
    [
      { url: "/relative" },
      'bibtexFor: url must be an absolute http(s) URL, got "/relative"',
    ],
    [
      { url: "javascript:alert(1)" },
      'bibtexFor: url must be an absolute http(s) URL, got "javascript:alert(1)"',
    ],
  ])("refuses %j", (patch, message) => {
    expect(() => bibtexFor({ ...base, ...patch })).toThrow(message);
  });
});
