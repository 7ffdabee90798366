import { eachEvent, type Projection } from "./projection.ts";

/**
 * The `api_keys` read model: each key's owner, name, prefix, scopes and the
 * SHA-256 that recognises it (the key itself is in no event), and when it
 * was revoked.
 */
export const apiKeysProjection: Projection<
  "api_key.created" | "api_key.revoked"
> = {
  "api_key.created": eachEvent(async (tx, { payload: p }, at) => {
    await tx.apiKey.create({
      data: {
        id: p.keyId,
        userId: p.userId,
        name: p.name,
        prefix: p.prefix,
        hash: p.hash,
        scopes: p.scopes,
        createdAt: at,
      },
    });
  }),
  "api_key.revoked": eachEvent(async (tx, e, at) => {
    await tx.apiKey.update({
      where: { id: e.payload.keyId },
      data: { revokedAt: at },
    });
  }),
};
