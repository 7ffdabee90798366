import type { Manifest } from "@loupe/graph";

type ModuleSpec = Manifest["modules"][number];
interface TreeNode {
  name: string;
  spec: ModuleSpec;
  children: TreeNode[];
}

/** Modules nest by dotted path: `transformer.h.0.mlp` sits under `transformer.h.0`. */
function buildTree(modules: readonly ModuleSpec[]): TreeNode | null {
  const byPath = new Map<string, TreeNode>();
  for (const spec of modules)
    byPath.set(spec.path, {
      name: spec.path === "" ? "(model)" : spec.path.split(".").at(-1)!,
      spec,
      children: [],
    });
  for (const [path, node] of byPath) {
    if (path === "") continue;
    // The nearest ancestor the manifest lists (a module list like `h` may be one).
    let parent = path;
    do
      parent = parent.includes(".")
        ? parent.slice(0, parent.lastIndexOf("."))
        : "";
    while (!byPath.has(parent) && parent !== "");
    // Named relative to that ancestor: `h.0` under `transformer` when `h` itself is not listed.
    node.name = parent === "" ? path : path.slice(parent.length + 1);
    byPath.get(parent)?.children.push(node);
  }
  return byPath.get("") ?? null;
}

const shape = (dims: readonly (number | string)[]) => `[${dims.join(", ")}]`;

function ModuleNode({ node, depth }: { node: TreeNode; depth: number }) {
  const call = node.spec.calls[0];
  const params = node.spec.params.reduce(
    (n, p) => n + p.shape.reduce((a, b) => a * b, 1),
    0,
  );
  const label = (
    <span className="module-label">
      <code className="module-name">{node.name}</code>{" "}
      <span className="muted small">{node.spec.type}</span>
      {call && (
        <span className="small module-shapes">
          {" "}
          {call.inputs.map((i) => shape(i.shape)).join(", ") || "()"} →{" "}
          {call.outputs.map((o) => shape(o.shape)).join(", ")}
        </span>
      )}
      {params > 0 && (
        <span className="muted small">
          {" "}
          · {params.toLocaleString("en")} params
        </span>
      )}
    </span>
  );
  return (
    <li data-testid="module" data-path={node.spec.path}>
      {node.children.length === 0 ? (
        <div className="leaf">{label}</div>
      ) : (
        <details open={depth < 2}>
          <summary>{label}</summary>
          <ul className="tree">
            {node.children.map((c) => (
              <ModuleNode key={c.spec.path} node={c} depth={depth + 1} />
            ))}
          </ul>
        </details>
      )}
    </li>
  );
}

/** A model's modules as a browsable tree, each with its call's input and output shapes. */
export function ModuleTree({ manifest }: { manifest: Manifest }) {
  const root = buildTree(manifest.modules);
  if (!root)
    return <p className="muted">This manifest lists no root module.</p>;
  return (
    <ul className="tree root" aria-label={`Modules of ${manifest.model.name}`}>
      <ModuleNode node={root} depth={0} />
    </ul>
  );
}
