import { describe, expect, it } from "vitest";
import { extractModuleTree } from "./extract-module-tree.ts";
import type { ScopedModel } from "./onnx-bytes.ts";

type OnnxNode = ScopedModel["nodes"][number];
import {
  parsePythonStrings,
  readDynamoScopes,
  ScopeMetadataError,
} from "./read-dynamo-scopes.ts";

/** A node as the dynamo exporter writes it; `scopes` undefined: no metadata at all. */
function node(
  name: string,
  input: string[],
  output: string[],
  scopes?: string,
): OnnxNode {
  return {
    name,
    opType: "Relu",
    domain: "",
    input,
    output,
    metadata:
      scopes === undefined ? {} : { "pkg.torch.onnx.name_scopes": scopes },
  };
}

function model(nodes: OnnxNode[]): ScopedModel {
  return {
    nodes,
    inputs: [{ name: "x" }],
    outputs: [{ name: nodes.at(-1)!.output[0]! }],
    initializers: [],
  };
}

describe("parsePythonStrings", () => {
  it.each([
    [
      "['', 'transformer', 'transformer.h.0', 'view_1']",
      ["", "transformer", "transformer.h.0", "view_1"],
    ],
    ["[]", []],
    [`["it's", 'a\\'b', 'tab\\there']`, ["it's", "a'b", "tab\there"]],
    ["['\\x41\\u00e9\\U0001f642']", ["A\u00e9\u{1f642}"]],
  ])("reads %s", (text, expected) => {
    expect(parsePythonStrings(text)).toEqual(expected);
  });

  it.each([
    "['a'",
    "'a'",
    "['a' 'b']",
    "[a]",
    "['a'] trailing",
    "['\\q']",
    '{"a": 1}',
  ])("rejects %s", (text) => {
    expect(parsePythonStrings(text)).toBeUndefined();
  });
});

describe("module scopes from dynamo metadata", () => {
  it("leaves out a module whose calls cannot be told apart, and its child, listing both", () => {
    // forward: a(a(x) * 2), two calls of `a` that the metadata names alike.
    const tree = extractModuleTree(
      model([
        node("node_linear", ["x"], ["linear"], "['', 'a', 'a.lin', 'linear']"),
        node("node_relu", ["linear"], ["relu"], "['', 'a', 'relu']"),
        node("node_mul", ["relu"], ["mul"], "['', 'mul']"),
        node(
          "node_linear_1",
          ["mul"],
          ["linear_1"],
          "['', 'a', 'a.lin', 'linear_1']",
        ),
        node("node_relu_1", ["linear_1"], ["out"], "['', 'a', 'relu_1']"),
      ]),
    );
    expect(tree.modules.map((m) => m.path)).toEqual([""]);
    expect(tree.unresolved.map((u) => u.path)).toEqual(["a", "a.lin"]);
    expect(tree.unresolved[0]!.reason).toMatch(
      /^its nodes are not contiguous in the graph: dynamo metadata names every call of a module alike/,
    );
  });

  it("leaves out modules that exchange tensors with a node without metadata (optimizer rewrites)", () => {
    // optimize=True: the Gemm of `block.proj` is rebuilt without metadata; the
    // rest of block.proj still looks like a whole module.
    const tree = extractModuleTree(
      model([
        node("node_a", ["x"], ["a"], "['', 'block', 'block.attn', 'view']"),
        node("node_Gemm_3", ["a"], ["b"]),
        node("node_c", ["b"], ["c"], "['', 'block', 'block.proj', 'view_1']"),
        node("node_d", ["c"], ["d"], "['', 'block', 'add']"),
        node("node_e", ["d"], ["out"], "['', 'head', 'linear']"),
      ]),
    );
    expect(tree.unresolved.map((u) => u.path)).toEqual([
      "block",
      "block.attn",
      "block.proj",
    ]);
    expect(tree.unresolved[0]!.reason).toMatch(
      /^it exchanges tensors with a node that has no scope metadata/,
    );
    expect(tree.modules.map((m) => m.path)).toEqual(["", "head"]);
  });

  it("puts nodes of torch.export passes in the model alone", () => {
    const scopes = readDynamoScopes(
      model([
        node(
          "node_Shape_0",
          ["x"],
          ["s"],
          "['_empty_nn_module_stack_from_metadata_hook', 'sym_size_int_38']",
        ),
        node("node_view", ["x", "s"], ["out"], "['', 'transformer', 'view']"),
      ]),
    );
    expect(scopes.chains).toEqual([
      [{ path: "", call: 0 }],
      [
        { path: "", call: 0 },
        { path: "transformer", call: 0 },
      ],
    ]);
    expect(scopes.unresolved).toEqual([]);
    expect(scopes.symbolicSizes).toEqual(new Set(["s"]));
  });

  it("does not count symbolic sizes as module inputs", () => {
    const tree = extractModuleTree(
      model([
        node(
          "node_Shape_0",
          ["x"],
          ["s"],
          "['_empty_nn_module_stack_from_metadata_hook', 'sym_size_int_38']",
        ),
        node("node_view", ["x", "s"], ["out"], "['', 'transformer', 'view']"),
      ]),
    );
    expect(
      tree.modules.find((m) => m.path === "transformer")?.calls[0]?.inputs,
    ).toEqual(["x"]);
  });

  it("rejects scope metadata that is not a list of names, naming the node", () => {
    const bad = model([node("node_view", ["x"], ["out"], "transformer/view")]);
    expect(() => readDynamoScopes(bad)).toThrow(ScopeMetadataError);
    expect(() => readDynamoScopes(bad)).toThrow(
      `node "node_view": metadata pkg.torch.onnx.name_scopes should be a Python list of strings like ['', 'transformer', 'view_1'], got "transformer/view"`,
    );
  });

  it("reads TorchScript names when nodes have both", () => {
    const tree = extractModuleTree(
      model([node("/mlp/act/Relu", ["x"], ["out"], "['', 'other', 'relu']")]),
    );
    expect(tree.modules.map((m) => m.path)).toEqual(["", "mlp", "mlp.act"]);
  });
});
