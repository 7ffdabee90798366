import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../repo-root.ts";

/**
 * The repository's Markdown links lead somewhere inside it: every relative
 * link resolves to a file or folder of the checkout, and no link points to a
 * web page (nothing in the repository may point outside it; docs, links and
 * configs live in it) other than the local stack's own (http://localhost).
 */
const root = repoRoot;

/** Markdown files git tracks, or would track (new files not ignored). */
const markdownFiles = execFileSync(
  "git",
  ["ls-files", "--cached", "--others", "--exclude-standard", "*.md"],
  { cwd: root, encoding: "utf8" },
)
  .split("\n")
  .filter((f) => f && existsSync(path.join(root, f)));

/** Inline links and images `[text](target)` and reference definitions `[id]: target`, outside code. */
function linkTargets(markdown: string): string[] {
  const prose = markdown
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "")
    .replace(/`[^`\n]*`/g, "");
  const inline = [
    ...prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g),
  ];
  const defined = [
    ...prose.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm),
  ];
  return [...inline, ...defined].map((m) => m[1]!);
}

describe("Markdown links", () => {
  it("finds the repository's Markdown files", () => {
    expect(markdownFiles).toContain("README.md");
    expect(markdownFiles).toContain("docs/DESIGN.md");
    expect(markdownFiles).toContain("docs/STYLE.md");
  });

  it("reads links in the forms Markdown writes them", () => {
    expect(
      linkTargets(
        'See [a](docs/A.md), ![b](b.png "title") and\n[e]: e.md\n`[f](not-a-link.md)`\n```\n[g](in-code.md)\n```\n',
      ),
    ).toEqual(["docs/A.md", "b.png", "e.md"]);
  });

  it.each(markdownFiles)(
    "%s: every link resolves inside the repository",
    (file) => {
      const broken: string[] = [];
      for (const target of linkTargets(
        readFileSync(path.join(root, file), "utf8"),
      )) {
        if (target.startsWith("#")) continue;
        // The pages of the stack `npm start` brings up on this machine.
        if (/^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?(\/|$)/.test(target))
          continue;
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
          broken.push(`${target} (points outside the repository)`);
          continue;
        }
        const relative = decodeURIComponent(
          target.split("#")[0]!.split("?")[0]!,
        );
        const resolved = path.resolve(root, path.dirname(file), relative);
        if (!resolved.startsWith(root + path.sep) && resolved !== root)
          broken.push(`${target} (leaves the repository)`);
        else if (!existsSync(resolved)) broken.push(`${target} (no such file)`);
      }
      expect(broken).toEqual([]);
    },
  );
});
