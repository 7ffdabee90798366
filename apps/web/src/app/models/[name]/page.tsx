import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { manifestSchema } from "@loupe/graph";
import { getServerCaller } from "@/server/caller";
import { errorCode } from "@/server/describe-error";
import { Breadcrumb } from "@/components/breadcrumb";
import { DataTable, type Column } from "@/components/data-table";
import { ModuleTree } from "@/components/models/module-tree";
import { HostingHistory } from "@/components/models/hosting-history";
import type { CallerOutputs } from "@/lib/api-outputs";

export const dynamic = "force-dynamic";

export async function generateMetadata({
  params,
}: {
  params: Promise<{ name: string }>;
}): Promise<Metadata> {
  return { title: decodeURIComponent((await params).name) };
}

export default async function ModelPage({
  params,
}: {
  params: Promise<{ name: string }>;
}) {
  const name = decodeURIComponent((await params).name);
  const caller = await getServerCaller();
  const orNull = (e: unknown) => {
    if (errorCode(e) === "NOT_FOUND") return null;
    throw e;
  };
  const [model, hosting] = await Promise.all([
    caller.models.manifest({ model: name }).catch(orNull),
    caller.models.hosting({ model: name }).catch(orNull),
  ]);
  if (!model && !hosting) notFound();
  const hostingSection = hosting && <HostingSection hosting={hosting} />;
  if (!model)
    return (
      <section className="page">
        <Breadcrumb href="/models">Models</Breadcrumb>
        <h1>{name}</h1>
        <p className="muted">
          Not registered yet: its module tree shows once a worker has loaded it.
        </p>
        {hostingSection}
      </section>
    );
  const manifest = manifestSchema.parse(model.manifest);
  const aliases = Object.entries(manifest.aliases ?? {});
  return (
    <section className="page">
      <Breadcrumb href="/models">Models</Breadcrumb>
      <h1>{model.name}</h1>
      <dl className="facts">
        <dt>Architecture</dt>
        <dd>{manifest.model.architecture}</dd>
        <dt>Weights</dt>
        <dd>
          <code>{model.hash}</code>
        </dd>
        <dt>Modules</dt>
        <dd>{manifest.modules.length}</dd>
        <dt>Types for scripts</dt>
        <dd>
          <code>npx loupe models typegen {model.name}</code>
        </dd>
      </dl>
      {hostingSection}
      <h2>Module tree</h2>
      <p className="muted small">
        Each module with the shapes of its input and output (symbolic dimensions
        by name): the paths a graph reads and writes, as in{" "}
        <code>lm.transformer.h[2].output</code>.
      </p>
      <ModuleTree manifest={manifest} />
      {aliases.length > 0 && (
        <>
          <h2>Standard names</h2>
          <DataTable
            columns={ALIAS_COLUMNS}
            rows={aliases}
            rowKey={([alias]) => alias}
          />
        </>
      )}
    </section>
  );
}

const ALIAS_COLUMNS: Column<[alias: string, path: string]>[] = [
  { header: "Alias", cell: ([alias]) => <code>{alias}</code> },
  { header: "Module", cell: ([, path]) => <code>{path}</code> },
];

/** Where hosting the model stands, where its files are, and its hosting events. */
function HostingSection({
  hosting,
}: {
  hosting: CallerOutputs["models"]["hosting"];
}) {
  return (
    <>
      <h2>Hosting</h2>
      <p data-testid="hosting-state">
        {hosting.state ? (
          <>
            State: <strong>{hosting.state}</strong>
            {hosting.reason && <>: {hosting.reason}</>}
          </>
        ) : (
          "Hosted by a worker's configuration."
        )}
        {hosting.source && (
          <span className="muted small">
            {" "}
            Files:{" "}
            <code>
              {hosting.source.kind === "path"
                ? hosting.source.path
                : hosting.source.url}
            </code>
          </span>
        )}
      </p>
      <HostingHistory events={hosting.events} />
    </>
  );
}
