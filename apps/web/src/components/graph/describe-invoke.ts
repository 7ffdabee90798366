import { canonicalJson } from "@loupe/graph";
import { z } from "zod";

/** An invoke as the graph format writes it (graph-schema.ts), parsed again for display. */
const invokeSchema = z.object({
  input: z
    .discriminatedUnion("kind", [
      z.object({ kind: z.literal("text"), prompts: z.array(z.string()) }),
      z.object({
        kind: z.literal("tokens"),
        ids: z.array(z.array(z.number())),
      }),
    ])
    .nullable(),
  edit: z.boolean().optional(),
});

/**
 * What an invoke runs on, in words: its prompts (quoted), token ids (`[1 2 3]`),
 * "edits (every row)" or "the whole batch", as renderGraphText writes it.
 * Takes `unknown` because GraphDiff carries invokes untyped; anything that is
 * not an invoke shows as its canonical JSON.
 */
export function describeInvoke(invoke: unknown): string {
  const parsed = invokeSchema.safeParse(invoke);
  if (!parsed.success) return canonicalJson(invoke);
  const { input, edit } = parsed.data;
  if (edit) return "edits (every row)";
  if (input === null) return "the whole batch";
  if (input.kind === "text")
    return input.prompts.map((p) => JSON.stringify(p)).join(", ");
  return input.ids.map((row) => `[${row.join(" ")}]`).join(", ");
}
