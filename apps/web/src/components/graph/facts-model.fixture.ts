import { readFileSync } from "node:fs";
import {
  createModel,
  manifestSchema,
  type Envoy,
  type Graph,
  type Model,
  type TensorValue,
} from "@loupe/graph";

/** The bundled model's manifest (models/facts), for tests that trace real graphs. */
export function factsModel(): Model<Envoy> {
  const file = new URL(
    "../../../../../models/facts/model.manifest.json",
    import.meta.url,
  );
  const imported = JSON.parse(readFileSync(file, "utf8")) as {
    manifest: unknown;
  };
  return createModel<Envoy>(manifestSchema.parse(imported.manifest));
}

/**
 * The gallery's demo, widened: activation patching at `layer` (scaled by
 * `scale`) across two invokes, then a logit lens and saves, and a second trace.
 */
export function patchingSession(
  lm: Model<Envoy>,
  {
    layer = 2,
    prompt = "The Louvre is located in the city of",
    scale = 2,
  } = {},
): Graph {
  return lm.session(() => {
    lm.trace((t) => {
      let hidden: TensorValue | undefined;
      t.invoke("The Colosseum is located in the city of", () => {
        hidden = lm.layers![layer]!.output[0]!.get(":", 1, ":");
      });
      t.invoke(prompt, () => {
        lm.layers![layer]!.output[0]!.set([":", 1, ":"], hidden!.mul(scale));
        const logits = lm.lm_head!.call(
          lm.ln_final!.call(lm.layers![3]!.output[0]!),
        );
        logits.softmax(-1).topk(5).indices.save("top5");
        lm.output.item("logits").save("logits");
      });
    });
    lm.trace("Hello World", () => {
      lm.output.item("logits").save("hello");
    });
  });
}
