import { inferOutputTypes } from "../model/element-types.ts";
import {
  initializerName,
  initializerValues,
  type NodeView,
  type Program,
} from "./program.ts";
import {
  outputShapeFacts,
  type KnownFacts,
  type ShapeFact,
} from "./shape-facts.ts";

/** What is known of a tensor before running: element type, rank, constant values. */
export interface TensorFact extends ShapeFact {
  elemType?: number;
}

/**
 * Static facts of every tensor of a program, from its inputs' types and ranks:
 * the gradient rules need ranks (a batched MatMul's transpose), element types
 * (the zeros they create) and constant axes. Element types follow ONNX's
 * type rules; shapes and values are followed as outputShapeFacts says, and
 * anything else is left unknown: a rule that needs it says so.
 */
export function tensorFacts(
  program: Program,
  nodes: readonly NodeView[],
  inputRanks: ReadonlyMap<string, number>,
): Map<string, TensorFact> {
  const facts = programFacts(program, inputRanks);
  const known = knownFacts(facts);
  for (const n of nodes) {
    const types = outputElementTypes(n, facts);
    outputShapeFacts(n, known).forEach((f, j) => {
      const t = n.output[j];
      if (t) facts.set(t, { elemType: types[j], ...f });
    });
  }
  return facts;
}

/** The facts of a program's inputs (ranks as fed) and initializers (dims and small values). */
function programFacts(
  program: Program,
  inputRanks: ReadonlyMap<string, number>,
): Map<string, TensorFact> {
  const facts = new Map<string, TensorFact>();
  for (const i of program.inputs)
    facts.set(i.name, {
      elemType: i.elemType,
      rank: inputRanks.get(i.name) ?? i.shape?.length,
    });
  for (const init of program.initializers) {
    const c = initializerValues(init);
    facts.set(initializerName(init), {
      elemType: init.dataType,
      rank: init.dims.length,
      dims: init.dims,
      value: c?.truncated ? undefined : c?.values,
    });
  }
  return facts;
}

function knownFacts(facts: ReadonlyMap<string, TensorFact>): KnownFacts {
  const get = (t: string | undefined) => (t ? facts.get(t) : undefined);
  return {
    rank: (t) => get(t)?.rank,
    dims: (t) => get(t)?.dims,
    value: (t) => get(t)?.value,
    length: (t) => {
      const f = get(t);
      if (f?.rank !== 1) return undefined;
      return f.dims?.[0] ?? f.value?.length;
    },
  };
}

/** The element types of a node's outputs, by the engine's one reading of ONNX's type rules. */
function outputElementTypes(
  n: NodeView,
  facts: ReadonlyMap<string, TensorFact>,
): (number | undefined)[] {
  return inferOutputTypes(
    {
      opType: n.opType,
      input: n.input,
      output: n.output,
      ints: new Proxy(
        {},
        {
          get: (_, k) => (typeof k === "string" ? n.int(k) : undefined),
          has: (_, k) => typeof k === "string" && n.int(k) !== undefined,
        },
      ),
      tensorTypes: new Proxy(
        {},
        {
          get: (_, k) =>
            typeof k === "string" ? n.tensor(k)?.dataType : undefined,
        },
      ),
    },
    (t) => facts.get(t)?.elemType,
  );
}
