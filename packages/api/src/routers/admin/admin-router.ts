import {
  appendDomainEvents,
  domainEvents,
  listWorkerStatuses,
  quotaStanding,
  streams,
  runLimitsOf,
} from "@loupe/db";
import { z } from "zod";
import { completeQuota, quotaInput } from "../../auth/default-quota.ts";
import { getAccountOrThrow } from "../../auth/get-account-or-throw.ts";
import { notFound } from "../../errors/loupe-error.ts";
import { revokeAccountAccess } from "../../auth/sessions.ts";
import { forgetApiKeys } from "../../auth/principal.ts";
import { TRPCError } from "@trpc/server";
import { adminProcedure, router } from "../../trpc.ts";

/** Administration: accounts, quotas and what each account has used. */
export const adminRouter = router({
  accounts: adminProcedure.query(async ({ ctx }) => {
    const rows = await ctx.services.db.account.findMany({
      orderBy: { createdAt: "asc" },
    });
    return rows.map((a) => ({
      userId: a.id,
      email: a.email,
      name: a.name,
      role: a.role,
      access: a.access,
      createdAt: a.createdAt,
      disabledAt: a.disabledAt,
    }));
  }),

  /**
   * Disables an account: it signs in no more, and its sessions, sign-in links
   * and API keys end at once (api_key.revoked for each key).
   */
  disableAccount: adminProcedure
    .input(
      z.object({
        userId: z.string().min(1),
        reason: z.string().trim().min(1).max(500),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { db } = ctx.services;
      await getAccountOrThrow(db, input.userId);
      if (input.userId === ctx.principal.userId)
        throw new TRPCError({
          code: "BAD_REQUEST",
          message: "administrators cannot disable their own account",
        });
      const { revokedKeys } = await revokeAccountAccess(db, {
        userId: input.userId,
        by: ctx.principal.userId,
        events: [
          domainEvents.event(streams.user(input.userId), "account.disabled", {
            userId: input.userId,
            by: ctx.principal.userId,
            reason: input.reason,
          }),
        ],
      });
      return { userId: input.userId, disabled: true, revokedKeys };
    }),

  /** A user's API keys (never their secrets or hashes), newest first. */
  apiKeys: adminProcedure
    .input(z.object({ userId: z.string().min(1) }))
    .query(async ({ ctx, input }) => {
      const rows = await ctx.services.db.apiKey.findMany({
        where: { userId: input.userId },
        orderBy: { createdAt: "desc" },
      });
      return rows.map((k) => ({
        keyId: k.id,
        name: k.name,
        prefix: k.prefix,
        scopes: k.scopes,
        createdAt: k.createdAt,
        revokedAt: k.revokedAt,
      }));
    }),

  /**
   * Revokes one of a user's API keys (`keyId`), or all that are not revoked
   * yet: `api_key.revoked` by the administrator, refused from then on (at once
   * in this process, within API_KEY_CACHE_MS in others).
   */
  revokeApiKeys: adminProcedure
    .input(
      z.object({
        userId: z.string().min(1),
        keyId: z.string().min(1).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { db } = ctx.services;
      await getAccountOrThrow(db, input.userId);
      const keys = await db.apiKey.findMany({
        where: {
          userId: input.userId,
          revokedAt: null,
          ...(input.keyId ? { id: input.keyId } : {}),
        },
      });
      if (
        input.keyId &&
        keys.length === 0 &&
        !(await db.apiKey.findFirst({
          where: { id: input.keyId, userId: input.userId },
        }))
      )
        throw notFound(`API key ${input.keyId} of account ${input.userId}`);
      if (keys.length > 0)
        await appendDomainEvents(
          db,
          keys.map((k) =>
            domainEvents.event(streams.user(input.userId), "api_key.revoked", {
              keyId: k.id,
              userId: input.userId,
              by: ctx.principal.userId,
            }),
          ),
        );
      forgetApiKeys();
      return { userId: input.userId, revokedKeys: keys.length };
    }),

  /** Enables a disabled account: it may sign in again (its old sessions and keys stay ended). */
  enableAccount: adminProcedure
    .input(z.object({ userId: z.string().min(1) }))
    .mutation(async ({ ctx, input }) => {
      const { db } = ctx.services;
      const account = await getAccountOrThrow(db, input.userId);
      if (account.disabledAt)
        await appendDomainEvents(db, [
          domainEvents.event(streams.user(input.userId), "account.enabled", {
            userId: input.userId,
            by: ctx.principal.userId,
          }),
        ]);
      return { userId: input.userId, disabled: false };
    }),

  setQuota: adminProcedure
    .input(quotaInput.extend({ userId: z.string().min(1) }))
    .mutation(async ({ ctx, input }) => {
      const { db } = ctx.services;
      await getAccountOrThrow(db, input.userId);
      const stream = streams.user(input.userId);
      const { userId, ...quota } = input;
      const current = await db.quota.findUnique({ where: { userId } });
      await appendDomainEvents(db, [
        domainEvents.event(stream, "quota.granted", {
          userId,
          ...completeQuota(quota, current && runLimitsOf(current)),
          by: ctx.principal.userId,
        }),
      ]);
      return quotaStanding(db, input.userId);
    }),

  /** Every account's quota and today's usage (or one account's). */
  usage: adminProcedure
    .input(z.object({ userId: z.string().min(1).optional() }))
    .query(async ({ ctx, input }) => {
      const { db } = ctx.services;
      const accounts = await db.account.findMany({
        where: input.userId ? { id: input.userId } : {},
        orderBy: { createdAt: "asc" },
      });
      return Promise.all(
        accounts.map(async (a) => ({
          userId: a.id,
          email: a.email,
          ...(await quotaStanding(db, a.id)),
        })),
      );
    }),

  /** Runs and compute used per UTC day over the last `days` days, all accounts summed. */
  usageHistory: adminProcedure
    .input(z.object({ days: z.number().int().min(1).max(365).default(30) }))
    .query(async ({ ctx, input }) => {
      const since = new Date(Date.now() - (input.days - 1) * 86_400_000)
        .toISOString()
        .slice(0, 10);
      const rows = await ctx.services.db.quotaUsage.groupBy({
        by: ["day"],
        where: { day: { gte: since } },
        _sum: { runs: true, usedSeconds: true, resultBytes: true },
        orderBy: { day: "asc" },
      });
      return rows.map((r) => ({
        day: r.day,
        runs: r._sum.runs ?? 0,
        computeSeconds: r._sum.usedSeconds ?? 0,
        resultBytes: Number(r._sum.resultBytes ?? 0),
      }));
    }),

  /** Live workers (heartbeat in the last 30 s) with their task queues and models. */
  workers: adminProcedure.query(async ({ ctx }) =>
    listWorkerStatuses(ctx.services.db, 30_000),
  ),
});
