import { forgetApiKeys } from "../../auth/principal.ts";
import {
  appendDomainEvents,
  domainEvents,
  readStream,
  streams,
} from "@loupe/db";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import {
  DEFAULT_QUOTA,
  completeQuota,
  quotaInput,
} from "../../auth/default-quota.ts";
import { getAccountOrThrow } from "../../auth/get-account-or-throw.ts";
import { adminProcedure, router, sessionProcedure } from "../../trpc.ts";

/**
 * Access applications: a researcher applies (affiliation, purpose); an
 * administrator approves (granting a quota in the same append) or rejects
 * with a reason. A rejected researcher may apply again.
 */
export const applicationsRouter = router({
  submit: sessionProcedure
    .input(
      z.object({
        affiliation: z.string().trim().min(1).max(200),
        purpose: z
          .string()
          .trim()
          .min(10, "say in a sentence or two what you will study")
          .max(5000),
        modelsWanted: z
          .array(z.string().trim().min(1).max(200))
          .max(50)
          .default([]),
        expectedUsage: z.string().trim().max(2000).default(""),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { access, userId } = ctx.principal;
      if (access === "approved" || access === "pending")
        throw new TRPCError({
          code: "CONFLICT",
          message: `this account's access is already ${access}`,
        });
      const stream = streams.user(userId);
      await appendDomainEvents(ctx.services.db, [
        domainEvents.event(stream, "application.submitted", {
          userId,
          ...input,
        }),
      ]);
      return { access: "pending" as const };
    }),

  /** Applications waiting for review, oldest first. */
  pending: adminProcedure.query(async ({ ctx }) => {
    const rows = await ctx.services.db.account.findMany({
      where: { access: "pending" },
      orderBy: { updatedAt: "asc" },
    });
    return rows.map((a) => ({
      userId: a.id,
      email: a.email,
      name: a.name,
      application: a.application as {
        affiliation: string;
        purpose: string;
        modelsWanted?: string[];
        expectedUsage?: string;
      },
      submittedAt: a.updatedAt,
    }));
  }),

  review: adminProcedure
    .input(
      z.discriminatedUnion("decision", [
        z.object({
          userId: z.string().min(1),
          decision: z.literal("approve"),
          quota: quotaInput.optional(),
        }),
        z.object({
          userId: z.string().min(1),
          decision: z.literal("reject"),
          reason: z.string().trim().min(1, "a rejection needs a reason"),
        }),
      ]),
    )
    .mutation(async ({ ctx, input }) => {
      const { db } = ctx.services;
      // The stream's version before the check: a review that commits in
      // between makes this one's append a VERSION_CONFLICT (one review wins).
      const version = (await readStream(db, streams.user(input.userId))).length;
      const account = await getAccountOrThrow(db, input.userId);
      if (account.access !== "pending")
        throw new TRPCError({
          code: "CONFLICT",
          message: `account ${input.userId} has no pending application (access: ${account.access})`,
        });
      const stream = streams.user(input.userId);
      const by = ctx.principal.userId;
      const events =
        input.decision === "approve"
          ? [
              domainEvents.event(stream, "application.approved", {
                userId: input.userId,
                by,
              }),
              domainEvents.event(stream, "quota.granted", {
                userId: input.userId,
                by,
                ...completeQuota(input.quota ?? DEFAULT_QUOTA, null),
              }),
            ]
          : [
              domainEvents.event(stream, "application.rejected", {
                userId: input.userId,
                by,
                reason: input.reason,
              }),
            ];
      await appendDomainEvents(db, events, { expectedVersion: version });
      // The account's keys act with its new access at once in this process.
      forgetApiKeys();
      return {
        userId: input.userId,
        access: input.decision === "approve" ? "approved" : "rejected",
      };
    }),
});
