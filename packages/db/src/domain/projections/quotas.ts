import { eachEvent, type Projection } from "./projection.ts";

/** The `quotas` read model: the quota an administrator granted each user (the latest grant wins). */
export const quotasProjection: Projection<"quota.granted"> = {
  "quota.granted": eachEvent(async (tx, e, at) => {
    const { userId, by: _by, ...quota } = e.payload;
    const data = {
      ...quota,
      maxResultBytes: BigInt(quota.maxResultBytes),
      maxConstantBytesPerRun: BigInt(quota.maxConstantBytesPerRun),
      maxResultBytesPerRun: BigInt(quota.maxResultBytesPerRun),
      maxRequestBytes: BigInt(quota.maxRequestBytes),
      updatedAt: at,
    };
    await tx.quota.upsert({
      where: { userId },
      create: { userId, ...data },
      update: data,
    });
  }),
};
