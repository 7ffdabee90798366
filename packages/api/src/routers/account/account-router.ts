import { domainEvents, quotaStanding, streams } from "@loupe/db";
import { z } from "zod";
import { signUpWithPassword } from "../../auth/accounts.ts";
import { takeRateLimitHit } from "../../auth/rate-limit.ts";
import { hashPassword } from "../../auth/passwords.ts";
import { revokeAccountAccess } from "../../auth/sessions.ts";
import {
  publicProcedure,
  router,
  sessionProcedure,
  signedInProcedure,
} from "../../trpc.ts";

/** The caller's own account: sign-up with a password, and who am I. */
export const accountRouter = router({
  signUp: publicProcedure
    .input(
      z.object({
        email: z.email(),
        name: z.string().trim().min(1).max(100),
        password: z.string().min(10, "use at least 10 characters").max(200),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { db, rateLimits } = ctx.services;
      // A request with an API key is its account's, under its quotas; anonymous
      // sign-ups are limited per client.
      if (ctx.principal?.via.kind !== "api-key")
        await takeRateLimitHit(
          db,
          `sign-up:client:${ctx.clientAddress}`,
          rateLimits.signUpPerClient,
          `sign-ups from ${ctx.clientAddress}`,
        );
      // The same answer whether or not the email has an account (its owner is emailed).
      const { userId } = await signUpWithPassword(
        db,
        input,
        ctx.services.mailer,
      );
      return { userId };
    }),

  /**
   * Sets a new password for the signed-in account (a session: its owner,
   * perhaps signed in by a sign-in link because the old one is lost) and ends
   * at once every session, sign-in link and API key of the account, this
   * session included.
   */
  resetPassword: sessionProcedure
    .input(
      z.object({
        newPassword: z.string().min(10, "use at least 10 characters").max(200),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { db } = ctx.services;
      const { userId } = ctx.principal;
      const account = await db.account.findUniqueOrThrow({
        where: { id: userId },
      });
      const passwordHash = await hashPassword(input.newPassword);
      const { revokedKeys } = await revokeAccountAccess(db, {
        userId,
        by: userId,
        events: [
          domainEvents.event(streams.user(userId), "account.password_reset", {
            userId,
          }),
        ],
        alsoInTransaction: (tx) =>
          tx.authCredential.upsert({
            where: { userId },
            create: { userId, email: account.email, passwordHash },
            update: { passwordHash },
          }),
      });
      return { revokedKeys, signedOut: true };
    }),

  me: signedInProcedure.query(async ({ ctx }) => {
    const { db } = ctx.services;
    const account = await db.account.findUniqueOrThrow({
      where: { id: ctx.principal.userId },
    });
    return {
      userId: account.id,
      email: account.email,
      name: account.name,
      role: account.role,
      access: account.access,
      rejectionReason: account.rejectionReason,
      via: ctx.principal.via.kind,
      quota: await quotaStanding(db, account.id),
    };
  }),
});
