import type { Prisma } from "../../generated/prisma/client.ts";
import { eachEvent, type Projection } from "./projection.ts";

/** The `models` read model: the models workers host, as last registered (hash, manifest, speed, tokenizer). */
export const modelsProjection: Projection<"model.registered"> = {
  "model.registered": eachEvent(async (tx, { payload: p }, at) => {
    const data = {
      hash: p.hash,
      manifest: p.manifest as Prisma.InputJsonObject,
      secondsPerToken: p.secondsPerToken,
      tokenizerHash: p.tokenizerHash,
      registeredAt: at,
    };
    await tx.model.upsert({
      where: { name: p.name },
      create: { name: p.name, ...data },
      update: data,
    });
  }),
};
