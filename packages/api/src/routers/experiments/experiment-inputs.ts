import { EXPERIMENT_TAG } from "@loupe/db";
import { z } from "zod";

/** An experiment's id, as a client sends it. */
export const experimentIdInput = z.string().min(1).max(200);

/** Who may read an experiment: its owner only, anyone with its link, or everyone (the gallery). */
export const visibilityInput = z.enum(["private", "unlisted", "public"]);

/** A committed graph version of an experiment (1, 2, ...). */
export const versionInput = z.number().int().min(1);

/** Gallery labels: trimmed, lower-cased, deduplicated before they are checked. */
export const tagsInput = z
  .array(z.string().trim().toLowerCase())
  .max(10, "at most 10 tags")
  .transform((t) => [...new Set(t.filter((x) => x !== ""))])
  .pipe(
    z.array(
      z
        .string()
        .regex(
          EXPERIMENT_TAG,
          "a tag is 1-32 characters of a-z, 0-9 and -, starting with a letter or digit",
        ),
    ),
  );

/** The license an experiment is shared under (an SPDX id or any short name). */
export const licenseInput = z.string().trim().min(1).max(100);

/** A graph to commit as a version, with the model it runs on. */
export const graphInput = z.object({
  model: z.string().min(1),
  /** A loupe.graph document, validated against the model before it is stored. */
  graph: z.unknown(),
  message: z.string().max(2000).default(""),
});
