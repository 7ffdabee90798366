import { quotaStanding } from "@loupe/db";
import { z } from "zod";
import { signUpWithPassword } from "../auth/accounts.ts";
import { RateLimitedError, takeRateLimitHit } from "../auth/rate-limit.ts";
import { LoupeError, toApiError } from "../errors.ts";
import { publicProcedure, router, signedInProcedure } from "../trpc.ts";

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
        ).catch(toRateLimitedApiError);
      // The same answer whether or not the email has an account (its owner is emailed).
      const { userId } = await signUpWithPassword(
        db,
        input,
        ctx.services.mailer,
      ).catch(toApiError);
      return { userId };
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

/** RateLimitedError as the client sees it: 429 with when to retry. */
export function toRateLimitedApiError(error: unknown): never {
  if (error instanceof RateLimitedError)
    throw new LoupeError(
      "TOO_MANY_REQUESTS",
      {
        code: error.code,
        max: error.limit.max,
        windowSeconds: error.limit.windowMs / 1000,
        retryAfterSeconds: error.retryAfterSeconds,
      },
      error.message,
    );
  throw error;
}
