import { quotaStanding } from "@loupe/db";
import { z } from "zod";
import { createPasswordAccount } from "../auth/accounts.ts";
import { toApiError } from "../errors.ts";
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
      const { userId } = await createPasswordAccount(
        ctx.services.db,
        input,
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
