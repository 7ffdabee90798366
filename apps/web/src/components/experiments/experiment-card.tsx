import Link from "next/link";

export interface CardData {
  id: string;
  title: string;
  description: string;
  ownerName?: string;
  model: string | null;
  tags: readonly string[];
  stars: number;
  forks: number;
  latestVersion: number;
  forkedFromId: string | null;
}

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
        <span>
          ★ {e.stars} star{e.stars === 1 ? "" : "s"}
        </span>
        <span>
          {e.forks} fork{e.forks === 1 ? "" : "s"}
        </span>
        {e.forkedFromId && <span>fork</span>}
      </p>
      {e.tags.length > 0 && (
        <ul className="tags" aria-label="Tags">
          {e.tags.map((t) => (
            <li key={t}>
              <Link
                href={`/gallery?tag=${encodeURIComponent(t)}`}
                className="tag"
              >
                {t}
              </Link>
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}
