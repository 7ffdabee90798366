import Link from "next/link";
import type { CallerOutputs } from "@/lib/api-outputs";
import { StarAndForkCounts } from "./star-and-fork-counts";
import { TagList } from "./tag-list";

/** One experiment of a gallery page, as experiments.gallery lists it. */
type CardData = CallerOutputs["experiments"]["gallery"]["items"][number];

/** The first paragraph of a markdown description, as plain text, cut at a word. */
function gist(markdown: string): string {
  const text = (markdown.split(/\n\s*\n/)[0] ?? "")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[#*`>]/g, "")
    .trim();
  if (text.length <= 200) return text;
  return `${text.slice(0, text.lastIndexOf(" ", 200))}…`;
}

/** One experiment in a list: title, gist, model, tags, stars and forks. */
export function ExperimentCard({ e }: { e: CardData }) {
  return (
    <li className="card" data-testid="gallery-card" data-id={e.id}>
      <h2 className="card-title">
        <Link href={`/experiments/${e.id}`}>{e.title}</Link>
      </h2>
      <p className="card-gist">{gist(e.description)}</p>
      <p className="card-meta small">
        {e.ownerName && <span>by {e.ownerName}</span>}
        {e.model && (
          <span>
            on <code>{e.model}</code>
          </span>
        )}
        <span>v{e.latestVersion}</span>
        <StarAndForkCounts stars={e.stars} forks={e.forks} />
        {e.forkedFromId && <span>fork</span>}
      </p>
      <TagList tags={e.tags} />
    </li>
  );
}
