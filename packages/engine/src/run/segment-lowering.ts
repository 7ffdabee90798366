import {
  OnnxElementType,
  onnxOfDtype,
  type GraphNode,
  type ValueType,
} from "@loupe/graph";
import { lowerSetitem, lowerValueOp } from "../lower/lower-ops.ts";
import { SegmentBuilder } from "../lower/segment-builder.ts";
import type { HookPoint } from "../model/model-plan.ts";
import type { GraphPlan, SegmentEntry } from "./batch-plan.ts";
import { RunError, type Padding } from "./batch-step.ts";

/**
 * One segment's operations lowered to ONNX, entry after entry. Hook tensors
 * enter whole (`t:<tensor>`) and each invoke sees its window of them; a
 * write splices its region back into the tensor's current value, which the
 * segment outputs in the end. Graph values enter as `v:<id>` and leave as
 * outputs when another segment uses them.
 */
export class SegmentLowering {
  readonly #b = new SegmentBuilder();
  /** Each hooked tensor's value as the segment's writes so far left it. */
  readonly #current = new Map<string, string>();
  /** The segment's values of graph nodes, by node id. */
  readonly #local = new Map<string, { name: string; type: ValueType }>();
  readonly #written = new Set<HookPoint>();

  constructor(
    private readonly graph: GraphPlan,
    private readonly padding: Padding,
  ) {}

  /** Lowers one entry: a cache's view, a read, a write, or a value operation. */
  lower(e: SegmentEntry): void {
    const b = this.#b;
    if (e.kind === "cache") {
      const v = this.#view(e.hook, e.invoke);
      b.output(v, onnxOfDtype(e.hook.dtype), `s:cache/${e.path}`);
      return;
    }
    const node = e.node;
    switch (node.op) {
      case "grad":
      case "read":
        this.#local.set(node.id, {
          name: this.#view(e.hook!, node.invoke),
          type: this.#typeOf(node.id),
        });
        break;
      case "write":
      case "write_grad":
      case "skip":
        this.#lowerWrite(node, e.hook!);
        break;
      default: {
        const args = node.args.map((a) => this.#valueOf(a));
        const type = this.#typeOf(node.id);
        this.#local.set(node.id, {
          name: lowerValueOp(b, node, args, type),
          type,
        });
      }
    }
    const v = this.graph.exported.has(node.id)
      ? this.#local.get(node.id)
      : undefined;
    if (v) b.output(v.name, onnxOfDtype(v.type.dtype), `v:${node.id}`);
  }

  /** The builder, with every written tensor's final value as an output. */
  finish(): SegmentBuilder {
    for (const h of this.#written)
      this.#b.output(
        this.#current.get(h.tensor)!,
        onnxOfDtype(h.dtype),
        `t:${h.tensor}`,
      );
    return this.#b;
  }

  #lowerWrite(
    node: GraphNode & { op: "write" | "write_grad" | "skip" },
    h: HookPoint,
  ): void {
    const b = this.#b;
    const value = this.#valueOf(node.args[0]!);
    const v = this.#view(h, node.invoke);
    const target = { name: v, type: { dtype: h.dtype, shape: h.shape } };
    const index = node.op === "skip" ? null : node.index;
    const region =
      index === null
        ? b.op("Expand", [
            b.cast(value.name, value.type.dtype, h.dtype),
            b.op("Shape", [v]),
          ])
        : lowerSetitem(b, target, value, index);
    this.#splice(h, node.invoke, region);
    // `.set()` returns the written value: the invoke's view after the write.
    if (node.op !== "skip")
      this.#local.set(node.id, { name: region, type: this.#typeOf(node.id) });
  }

  #hookInput(h: HookPoint): string {
    let name = this.#current.get(h.tensor);
    if (!name) {
      name = this.#b.input(onnxOfDtype(h.dtype), {
        kind: "env",
        key: `t:${h.tensor}`,
      });
      this.#current.set(h.tensor, name);
    }
    return name;
  }

  #typeOf(id: string): ValueType {
    const type = this.graph.prepared.types.get(id);
    if (!type)
      throw new RunError(`graph ${this.graph.g}: node ${id} has no value`);
    return type;
  }

  #valueOf(id: string): { name: string; type: ValueType } {
    const known = this.#local.get(id);
    if (known) return known;
    const type = this.#typeOf(id);
    const name = this.#b.input(onnxOfDtype(type.dtype), {
      kind: "env",
      key: `v:${id}`,
    });
    const v = { name, type };
    this.#local.set(id, v);
    return v;
  }

  /**
   * Whether the invoke's view of h is realigned: right-padded rows of
   * different lengths, on a tensor with one batch axis and a sequence axis.
   */
  #aligned(h: HookPoint, invoke: number): boolean {
    return (
      this.padding === "right" &&
      this.graph.windows[invoke]!.rowLengths !== undefined &&
      h.batchAxes.length === 1 &&
      h.seqAxes.length > 0
    );
  }

  /**
   * Right-padded rows of different lengths, moved so that each row ends at
   * the view's last position (or back, `inverse`), as left padding lays
   * them out: along each sequence axis, the (rows, positions) plane is
   * flattened and gathered by an index fed at run time. Every op here has a
   * gradient rule, so reads, writes and their gradients agree.
   */
  #align(x: string, h: HookPoint, invoke: number, inverse: boolean): string {
    const b = this.#b;
    const rank = h.shape.length;
    const batch = h.batchAxes[0]!;
    const index = b.input(OnnxElementType.INT64, {
      kind: "align",
      invoke,
      inverse,
    });
    for (const seq of h.seqAxes) {
      const perm = [
        batch,
        seq,
        ...[...Array(rank).keys()].filter((a) => a !== batch && a !== seq),
      ];
      const back = perm.map((_, i) => perm.indexOf(i));
      const moved = b.op("Transpose", [x], { perm: { ints: perm } });
      const shape = b.op("Shape", [moved]);
      const rest = b.op("Slice", [shape, b.ints([2]), b.ints([rank])]);
      const flat = b.op("Reshape", [
        moved,
        b.op("Concat", [b.ints([-1]), rest], { axis: { int: 0 } }),
      ]);
      const gathered = b.op("Gather", [flat, index], { axis: { int: 0 } });
      x = b.op("Transpose", [b.op("Reshape", [gathered, shape])], {
        perm: { ints: back },
      });
    }
    return x;
  }

  /** Where an invoke's window of a hook tensor starts, ends, or how to pad back to the whole tensor. */
  #windowInput(
    h: HookPoint,
    invoke: number,
    part: "starts" | "ends" | "pads",
  ): string {
    return this.#b.input(OnnxElementType.INT64, {
      kind: "window",
      part,
      invoke,
      hookTensor: h.tensor,
      batchAxes: h.batchAxes,
      seqAxes: h.seqAxes,
    });
  }

  /** The invoke's view of a hook tensor: its rows and tokens. */
  #view(h: HookPoint, invoke: number): string {
    const b = this.#b;
    const T = this.#hookInput(h);
    const axes = [...h.batchAxes, ...h.seqAxes];
    if (axes.length === 0) return T;
    const sliced = b.op("Slice", [
      T,
      this.#windowInput(h, invoke, "starts"),
      this.#windowInput(h, invoke, "ends"),
      b.ints(axes),
    ]);
    return this.#aligned(h, invoke)
      ? this.#align(sliced, h, invoke, false)
      : sliced;
  }

  /** Puts a rewritten view back into the hook tensor's current value (outside the window: unchanged). */
  #splice(h: HookPoint, invoke: number, viewed: string): void {
    const b = this.#b;
    const T = this.#hookInput(h);
    const region = this.#aligned(h, invoke)
      ? this.#align(viewed, h, invoke, true)
      : viewed;
    if (h.batchAxes.length + h.seqAxes.length === 0) {
      this.#current.set(h.tensor, region);
    } else {
      const pads = this.#windowInput(h, invoke, "pads");
      const padded = b.op("Pad", [region, pads]);
      const ones = b.op("ConstantOfShape", [b.op("Shape", [region])], {
        value: {
          tensor: {
            dataType: OnnxElementType.BOOL,
            dims: [1],
            raw: Uint8Array.of(1),
          },
        },
      });
      const inside = b.op(
        "Cast",
        [
          b.op("Pad", [
            b.op("Cast", [ones], { to: { int: OnnxElementType.UINT8 } }),
            pads,
          ]),
        ],
        { to: { int: OnnxElementType.BOOL } },
      );
      this.#current.set(h.tensor, b.op("Where", [inside, padded, T]));
    }
    this.#written.add(h);
  }
}
