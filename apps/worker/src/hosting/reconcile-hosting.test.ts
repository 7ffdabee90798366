import type { ModelHostingStatus } from "@loupe/db";
import { describe, expect, it } from "vitest";
import { planHosting } from "./reconcile-hosting.ts";

const source = { kind: "path" as const, path: "/m/model.onnx" };
const status = (
  name: string,
  state: ModelHostingStatus["state"],
  requestId: string | null,
): ModelHostingStatus => ({
  name,
  state,
  reason: null,
  source,
  requestId,
  requestedBy: requestId && "admin",
  workerId: null,
  loadedBytes: null,
  totalBytes: null,
  updatedAt: new Date(0),
});
const holding = (held: Record<string, string | null>) => ({
  has: (name: string) => name in held,
  requestOf: (name: string) => held[name],
});
const all = { kind: "all" } as const;

describe("planHosting", () => {
  it("hosts a standing request not held or tried here", () => {
    expect(
      planHosting(
        [status("a", "requested", "r1")],
        holding({}),
        all,
        new Set(),
      ),
    ).toEqual([
      { kind: "host", request: { name: "a", source, requestId: "r1" } },
    ]);
  });

  it("takes on a model online elsewhere (another worker, or before a restart)", () => {
    expect(
      planHosting([status("a", "online", "r1")], holding({}), all, new Set()),
    ).toHaveLength(1);
  });

  it("does not try a request again that this worker tried (refused or failed here)", () => {
    expect(
      planHosting(
        [status("a", "refused", "r1")],
        holding({}),
        all,
        new Set(["r1"]),
      ),
    ).toEqual([]);
  });

  it("unhosts a held model once unhosted, or when a newer request replaced the one it answers", () => {
    expect(
      planHosting(
        [status("a", "unhosted", "r1"), status("b", "requested", "r2")],
        holding({ a: "r1", b: "r1" }),
        all,
        new Set(),
      ),
    ).toEqual([
      { kind: "unhost", name: "a" },
      { kind: "unhost", name: "b" },
    ]);
  });

  it("keeps a model of LOUPE_MODELS unless it is unhosted", () => {
    expect(
      planHosting(
        [status("facts", "online", "r9")],
        holding({ facts: null }),
        all,
        new Set(),
      ),
    ).toEqual([]);
    expect(
      planHosting(
        [status("facts", "unhosted", null)],
        holding({ facts: null }),
        all,
        new Set(),
      ),
    ).toEqual([{ kind: "unhost", name: "facts" }]);
  });

  it("hosts only the models in its scope", () => {
    const states = [
      status("a", "requested", "r1"),
      status("b", "requested", "r2"),
    ];
    const names = (scope: Parameters<typeof planHosting>[2]) =>
      planHosting(states, holding({}), scope, new Set()).map((a) =>
        a.kind === "host" ? a.request.name : a.name,
      );
    expect(names({ kind: "none" })).toEqual([]);
    expect(names({ kind: "named", names: ["b"] })).toEqual(["b"]);
    expect(names(all)).toEqual(["a", "b"]);
  });

  it("ignores unhosted models it does not hold and models registered without a request", () => {
    expect(
      planHosting(
        [status("a", "unhosted", "r1"), status("b", "online", null)],
        holding({}),
        all,
        new Set(),
      ),
    ).toEqual([]);
  });
});
