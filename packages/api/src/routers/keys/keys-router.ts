import { randomBytes, randomUUID } from "node:crypto";
import { appendDomainEvents, domainEvents, streams } from "@loupe/db";
import { forgetApiKeys } from "../../auth/principal.ts";
import { z } from "zod";
import { notFound } from "../../errors/loupe-error.ts";
import { TRPCError } from "@trpc/server";
import {
  ADMIN_API_KEY_SCOPES,
  API_KEY_SCOPES,
  DEFAULT_API_KEY_SCOPES,
  hashApiKey,
} from "../../auth/principal.ts";
import { router, sessionProcedure } from "../../trpc.ts";

/**
 * API keys for scripts (the SDK): created and revoked from a signed-in
 * session only. The secret is returned once, at creation; Loupe keeps its
 * SHA-256 and a visible prefix to tell keys apart.
 */
export const keysRouter = router({
  create: sessionProcedure
    .input(
      z.object({
        name: z.string().min(1).max(100),
        scopes: z
          .array(z.enum(API_KEY_SCOPES))
          .min(1)
          .default([...DEFAULT_API_KEY_SCOPES]),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const adminOnly = input.scopes.filter((s) =>
        ADMIN_API_KEY_SCOPES.includes(s),
      );
      if (adminOnly.length > 0 && ctx.principal.role !== "admin")
        throw new TRPCError({
          code: "FORBIDDEN",
          message: `only administrators' keys may have the scope ${adminOnly.join(", ")}`,
        });
      const keyId = randomUUID();
      const prefix = randomBytes(4).toString("hex");
      const key = `loupe_${prefix}_${randomBytes(24).toString("base64url")}`;
      const stream = streams.user(ctx.principal.userId);
      await appendDomainEvents(ctx.services.db, [
        domainEvents.event(stream, "api_key.created", {
          keyId,
          userId: ctx.principal.userId,
          name: input.name,
          prefix: `loupe_${prefix}`,
          hash: hashApiKey(key),
          scopes: [...new Set(input.scopes)],
        }),
      ]);
      return {
        keyId,
        /** Shown this once: Loupe cannot show it again. */
        key,
        prefix: `loupe_${prefix}`,
        scopes: [...new Set(input.scopes)],
      };
    }),

  list: sessionProcedure.query(async ({ ctx }) => {
    const { db } = ctx.services;
    const rows = await db.apiKey.findMany({
      where: { userId: ctx.principal.userId },
      orderBy: { createdAt: "desc" },
    });
    const uses = new Map(
      (
        await db.apiKeyUse.findMany({
          where: { keyId: { in: rows.map((k) => k.id) } },
        })
      ).map((u) => [u.keyId, u.lastUsedAt]),
    );
    return rows.map((k) => ({
      keyId: k.id,
      name: k.name,
      prefix: k.prefix,
      scopes: k.scopes,
      createdAt: k.createdAt,
      /** To the minute; null when never used. */
      lastUsedAt: uses.get(k.id) ?? null,
      revokedAt: k.revokedAt,
    }));
  }),

  revoke: sessionProcedure
    .input(z.object({ keyId: z.string().min(1) }))
    .mutation(async ({ ctx, input }) => {
      const { db } = ctx.services;
      const key = await db.apiKey.findUnique({ where: { id: input.keyId } });
      if (!key || key.userId !== ctx.principal.userId)
        throw notFound(`API key ${input.keyId}`);
      if (!key.revokedAt) {
        const stream = streams.user(key.userId);
        await appendDomainEvents(db, [
          domainEvents.event(stream, "api_key.revoked", {
            keyId: key.id,
            userId: key.userId,
            by: ctx.principal.userId,
          }),
        ]);
      }
      forgetApiKeys();
      return { keyId: key.id, revoked: true };
    }),
});
