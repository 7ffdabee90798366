import { GALLERY_SORTS, queryGalleryPage } from "@loupe/db";
import { z } from "zod";
import { publicProcedure } from "../../trpc.ts";
import { experimentIdInput } from "./experiment-inputs.ts";

/**
 * `experiments.gallery`: public experiments (never unlisted or private),
 * searched, filtered by model and tag, sorted, and paged by keyset (`after`
 * is the previous page's `nextCursor`).
 */
export const searchGallery = publicProcedure
  .input(
    z.object({
      text: z.string().max(200).default(""),
      model: z.string().min(1).max(200).optional(),
      tag: z.string().trim().toLowerCase().max(32).optional(),
      sort: z.enum(GALLERY_SORTS).default("recent"),
      after: experimentIdInput.nullish(),
      limit: z.number().int().min(1).max(100).default(24),
    }),
  )
  .query(async ({ ctx, input }) => queryGalleryPage(ctx.services.db, input));
