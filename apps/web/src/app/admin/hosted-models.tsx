import Link from "next/link";
import {
  hostModelAction,
  unhostModelAction,
} from "@/server/actions/admin-actions";
import { DataTable, type Column } from "@/components/data-table";
import { EngineMemory } from "@/components/models/engine-memory";
import { HostingState } from "@/components/models/hosting-state";
import type { CallerOutputs } from "@/lib/api-outputs";

type Model = CallerOutputs["models"]["list"][number];

const COLUMNS: Column<Model>[] = [
  {
    header: "Model",
    cell: (m) => (
      <Link href={`/models/${encodeURIComponent(m.name)}`}>{m.name}</Link>
    ),
  },
  { header: "State", cell: (m) => <HostingState model={m} /> },
  { header: "Workers", className: "num", cell: (m) => m.workers },
  { header: "Queued", className: "num", cell: (m) => m.queued },
  { header: "Running", className: "num", cell: (m) => m.running },
  { header: "Engine memory", cell: (m) => <EngineMemory memory={m.memory} /> },
  {
    header: <span className="visually-hidden">Actions</span>,
    cell: (m) =>
      m.state !== "unhosted" && (
        <form action={unhostModelAction}>
          <input type="hidden" name="name" value={m.name} />
          <button type="submit" className="danger" data-testid="unhost-model">
            Unhost <span className="visually-hidden">{m.name}</span>
          </button>
        </form>
      ),
  },
];

/** A form to host a model while Loupe runs, and the hosted models with their load and an unhost button. */
export function HostedModels({ models }: { models: readonly Model[] }) {
  return (
    <>
      <p className="muted">
        Host a model while Loupe runs: give the path of its <code>.onnx</code>{" "}
        (imported with <code>loupe models import</code>, its manifest beside it)
        on storage the workers share, or its <code>s3://</code> URL in the
        result store. Only the location is sent; the workers read the files. Or
        from a shell: <code>loupe models host &lt;path-or-url&gt;</code>.
      </p>
      <form
        action={hostModelAction}
        className="filters"
        data-testid="host-model"
      >
        <label>
          Name
          <input
            name="name"
            required
            maxLength={100}
            pattern="[A-Za-z0-9][A-Za-z0-9._\-]*"
            placeholder="the name in its manifest"
          />
        </label>
        <label>
          Files
          <input
            name="source"
            required
            size={48}
            placeholder="/models/gpt2/model.onnx or s3://bucket/gpt2/model.onnx"
          />
        </label>
        <button type="submit" data-testid="host-model-submit">
          Host
        </button>
      </form>
      <DataTable
        testId="admin-models"
        columns={COLUMNS}
        rows={models}
        rowKey={(m) => m.name}
        rowData={(m) => ({
          "data-testid": "admin-model-row",
          "data-model": m.name,
        })}
      />
    </>
  );
}
