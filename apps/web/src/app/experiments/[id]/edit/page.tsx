import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { describeAction } from "@/server/actions/experiment-actions";
import {
  loadExperimentPage,
  type ExperimentPageProps,
} from "@/server/experiment-page-data";
import { Breadcrumb } from "@/components/breadcrumb";
import { FormMessage } from "@/components/form-message";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Edit details" };

export default async function EditPage(props: ExperimentPageProps) {
  const { id, query, experiment: e, me } = await loadExperimentPage(props);
  if (me?.userId !== e.ownerId) redirect(`/experiments/${id}`);
  return (
    <section className="page">
      <Breadcrumb href={`/experiments/${id}`}>{e.title}</Breadcrumb>
      <h1>Edit details</h1>
      <FormMessage error={query.error} />
      <form action={describeAction} className="form wide">
        <input type="hidden" name="experimentId" value={id} />
        <label>
          Title
          <input name="title" defaultValue={e.title} required maxLength={200} />
        </label>
        <label>
          Description (Markdown)
          <textarea
            name="description"
            rows={12}
            defaultValue={e.description}
            maxLength={10000}
          />
        </label>
        <label>
          Tags{" "}
          <span className="muted small">(comma-separated: a-z, 0-9, -)</span>
          <input name="tags" defaultValue={e.tags.join(", ")} />
        </label>
        <label>
          License
          <input
            name="license"
            defaultValue={e.license}
            required
            maxLength={100}
          />
        </label>
        <button type="submit">Save</button>
      </form>
    </section>
  );
}
