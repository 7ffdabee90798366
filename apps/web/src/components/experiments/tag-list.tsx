import Link from "next/link";

/** An experiment's tags, each a link to the gallery filtered by it; nothing when it has none. */
export function TagList({ tags }: { tags: readonly string[] }) {
  if (tags.length === 0) return null;
  return (
    <ul className="tags" aria-label="Tags">
      {tags.map((t) => (
        <li key={t}>
          <Link className="tag" href={`/gallery?tag=${encodeURIComponent(t)}`}>
            {t}
          </Link>
        </li>
      ))}
    </ul>
  );
}
