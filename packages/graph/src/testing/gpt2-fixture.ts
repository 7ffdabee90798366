import manifestJson from "../../fixtures/gpt2-small.manifest.json" with { type: "json" };
import type { Gpt2Small } from "../examples/gpt2-small-model.ts";
import { manifestSchema, type Manifest } from "../manifest/manifest-schema.ts";
import { createModel, type Model } from "../trace/model.ts";

/** The committed GPT-2 small manifest (tests only). */
export const gpt2Manifest: Manifest = manifestSchema.parse(manifestJson);

/** A fresh traceable GPT-2 fixture model, typed by its generated envoy types. */
export function gpt2(): Model<Gpt2Small> {
  return createModel<Gpt2Small>(gpt2Manifest);
}
