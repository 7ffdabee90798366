import type { Metadata } from "next";
import Link from "next/link";
import { getServerCaller } from "@/server/caller";
import { describeError } from "@/server/describe-error";
import { ExperimentCard } from "@/components/experiments/experiment-card";
import { FormMessage } from "@/components/form-message";

export const metadata: Metadata = { title: "Gallery" };
export const dynamic = "force-dynamic";

const SORTS = {
  recent: "Recently updated",
  stars: "Most starred",
  forks: "Most forked",
} as const;

export default async function GalleryPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | undefined>>;
}) {
  const params = await searchParams;
  const text = params.q ?? "";
  const sort = (
    params.sort && params.sort in SORTS ? params.sort : "recent"
  ) as keyof typeof SORTS;
  const model = params.model || undefined;
  const tag = params.tag || undefined;
  const caller = await getServerCaller();
  const [models, page] = await Promise.all([
    caller.models.list(),
    caller.experiments
      .gallery({
        text,
        sort,
        model,
        tag,
        after: params.after ?? null,
        limit: 24,
      })
      .catch((e: unknown) => describeError(e)),
  ]);
  const link = (extra: Record<string, string | undefined>) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries({
      q: text || undefined,
      sort,
      model,
      tag,
      ...extra,
    }))
      if (v) q.set(k, v);
    return `/gallery?${q.toString()}`;
  };
  return (
    <section className="page">
      <h1>Gallery</h1>
      <p className="muted">
        Public experiments: every graph versioned, every result reproducible.
        Fork one to make it yours.
      </p>
      <form className="filters" role="search" action="/gallery">
        <label>
          Search
          <input
            name="q"
            type="search"
            defaultValue={text}
            placeholder="logit lens, patching…"
          />
        </label>
        <label>
          Model
          <select name="model" defaultValue={model ?? ""}>
            <option value="">any</option>
            {models.map((m) => (
              <option key={m.name} value={m.name}>
                {m.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Tag
          <input name="tag" defaultValue={tag ?? ""} size={12} />
        </label>
        <label>
          Sort
          <select name="sort" defaultValue={sort}>
            {Object.entries(SORTS).map(([k, label]) => (
              <option key={k} value={k}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Apply</button>
      </form>
      {typeof page === "string" ? (
        <FormMessage error={page} />
      ) : page.items.length === 0 ? (
        <p data-testid="gallery-empty">No public experiment matches.</p>
      ) : (
        <>
          <ul className="cards" data-testid="gallery">
            {page.items.map((e) => (
              <ExperimentCard key={e.id} e={e} />
            ))}
          </ul>
          <nav className="pager" aria-label="Gallery pages">
            {params.after && <Link href={link({})}>First page</Link>}
            {page.nextCursor && (
              <Link
                href={link({ after: page.nextCursor })}
                rel="next"
                data-testid="next-page"
              >
                Next page
              </Link>
            )}
          </nav>
        </>
      )}
    </section>
  );
}
