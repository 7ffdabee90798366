import type { Manifest } from "@loupe/graph";
import type { RecoveredCall } from "../onnx/extract-module-tree.ts";
import {
  renameNode,
  type NodeSpec,
  type RawModel,
  type RawNode,
} from "../onnx/onnx-bytes.ts";
import { ModelPlanError } from "./model-plan-error.ts";

/** A node of the planned model: an original node or an input identity the plan inserted. */
export type PlanNode =
  | RawNode
  | (NodeSpec & {
      readonly ints: Record<string, number>;
      readonly tensorTypes: Record<string, number>;
      readonly metadata: Record<string, string>;
    });

/** The model's nodes with an input identity before each module call's inputs. */
export interface InputIdentities {
  /** The planned nodes: the model's, each call's identities just before their first consumer. */
  readonly nodes: readonly PlanNode[];
  /** The planned index of each of the model's nodes. */
  readonly newIndex: readonly number[];
  /** Each call's input tensors as its nodes now read them (identity outputs), by `${path}#${call}`. */
  readonly inputNames: ReadonlyMap<string, readonly string[]>;
}

/**
 * Gives every module call's inputs an Identity node of their own
 * (`<tensor>><path>#<call>`), so writing a module's input changes what that
 * module sees and nothing else. Outer calls come first, so an inner call's
 * identity reads the outer one's.
 */
export function insertInputIdentities(
  raw: RawModel,
  manifest: Manifest,
  recovered: ReadonlyMap<string, RecoveredCall>,
): InputIdentities {
  /** What each of the model's nodes consumes now, identities inserted so far. */
  const current = raw.nodes.map((n) => [...n.input]);
  const insertBefore = new Map<number, PlanNode[]>();
  const inputNames = new Map<string, string[]>();
  const order = manifest.modules
    .flatMap((m) => m.calls.map((c, k) => ({ path: m.path, k, c })))
    .filter((x) => x.path !== "")
    .sort((a, b) => a.c.enter - b.c.enter);
  for (const { path, k, c } of order) {
    const rec = recovered.get(`${path}#${k}`);
    if (!rec)
      throw new ModelPlanError(
        `module "${path}" call ${k} of the manifest is not in the model file (was the manifest imported from this file?)`,
      );
    const names = c.inputs.map((spec, i) => {
      const { identity, before } = identityOf(raw, current, rec, {
        path,
        k,
        i,
        tensor: spec.tensor,
      });
      const list = insertBefore.get(before) ?? [];
      list.push(identity);
      insertBefore.set(before, list);
      return identity.output[0]!;
    });
    inputNames.set(`${path}#${k}`, names);
  }
  const nodes: PlanNode[] = [];
  const newIndex: number[] = [];
  raw.nodes.forEach((n, i) => {
    nodes.push(...(insertBefore.get(i) ?? []));
    newIndex[i] = nodes.length;
    const inputs = current[i]!;
    nodes.push(
      inputs.every((t, j) => t === n.input[j])
        ? n
        : renameNode(n, { input: inputs }),
    );
  });
  return { nodes, newIndex, inputNames };
}

/**
 * The identity of input i (`tensor`) of call k of `path`, and the model node
 * it goes before; the call's nodes are made to read it (in `current`).
 */
function identityOf(
  raw: RawModel,
  current: string[][],
  rec: RecoveredCall,
  input: { path: string; k: number; i: number; tensor: string },
): { identity: PlanNode; before: number } {
  const { path, k, i, tensor } = input;
  // What the call's nodes consume now (an outer identity's output, or the tensor).
  let now: string | undefined;
  for (const n of rec.nodes) {
    const j = raw.nodes[n]!.input.indexOf(tensor);
    if (j >= 0) {
      now = current[n]![j];
      break;
    }
  }
  if (now === undefined)
    throw new ModelPlanError(
      `module "${path}" input ${i} (${tensor}) is not consumed by its nodes`,
    );
  const renamed = `${tensor}>${path}#${k}`;
  for (const n of rec.nodes) {
    const inputs = current[n]!;
    raw.nodes[n]!.input.forEach((t, j) => {
      if (t === tensor) inputs[j] = renamed;
    });
  }
  // Just before its first consumer: an input computed inside the call's
  // span (Llama's mask, from a node scoped elsewhere) exists by then.
  const before = Math.min(
    ...rec.nodes.filter((n) => raw.nodes[n]!.input.includes(tensor)),
  );
  return {
    identity: {
      opType: "Identity",
      input: [now],
      output: [renamed],
      name: `loupe/input/${path}#${k}/${i}`,
      ints: {},
      tensorTypes: {},
      metadata: {},
    },
    before,
  };
}
