import { initTRPC, TRPCError } from "@trpc/server";
import type { ApiKeyScope, Principal } from "./auth/principal.ts";
import type { ApiContext } from "./context.ts";
import { LoupeError } from "./errors.ts";

const t = initTRPC.context<ApiContext>().create({
  errorFormatter({ shape, error }) {
    const loupe = error instanceof LoupeError ? error.loupe : undefined;
    // Internal errors are logged by the adapter and never leak their message.
    if (error.code === "INTERNAL_SERVER_ERROR") {
      return {
        ...shape,
        message: "internal error",
        data: { ...shape.data, stack: undefined },
      };
    }
    return { ...shape, data: { ...shape.data, stack: undefined, loupe } };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Anyone, signed in or not. */
export const publicProcedure = t.procedure;

/** A signed-in account (session or API key). */
export const signedInProcedure = t.procedure.use(({ ctx, next }) => {
  if (!ctx.principal)
    throw new TRPCError({ code: "UNAUTHORIZED", message: "sign in first" });
  return next({ ctx: { ...ctx, principal: ctx.principal } });
});

/** A signed-in session: what API keys may never do (mint keys, apply, administer). */
export const sessionProcedure = signedInProcedure.use(({ ctx, next }) => {
  if (ctx.principal.via.kind !== "session")
    throw new TRPCError({
      code: "FORBIDDEN",
      message: "this needs a signed-in session, not an API key",
    });
  return next();
});

const assertScope = (principal: Principal, scope: ApiKeyScope) => {
  if (principal.via.kind === "api-key" && !principal.via.scopes.includes(scope))
    throw new TRPCError({
      code: "FORBIDDEN",
      message: `this API key lacks the scope ${scope}`,
    });
};

/** A signed-in account; through an API key, one that has `scope`. */
export const scopedProcedure = (scope: ApiKeyScope) =>
  signedInProcedure.use(({ ctx, next }) => {
    assertScope(ctx.principal, scope);
    return next();
  });

/** An account whose access application was approved, with `scope` for API keys. */
export const approvedProcedure = (scope: ApiKeyScope) =>
  scopedProcedure(scope).use(({ ctx, next }) => {
    if (ctx.principal.access !== "approved")
      throw new TRPCError({
        code: "FORBIDDEN",
        message: `access to Loupe has not been approved for this account (application: ${ctx.principal.access})`,
      });
    return next();
  });

/** An administrator, signed in. */
export const adminProcedure = sessionProcedure.use(({ ctx, next }) => {
  if (ctx.principal.role !== "admin")
    throw new TRPCError({ code: "FORBIDDEN", message: "administrators only" });
  return next();
});

/**
 * An administrator, signed in or through an API key of theirs that has
 * `scope` (what the CLI's administration commands use, e.g. `loupe models
 * host` with `models:host`).
 */
export const adminScopedProcedure = (scope: ApiKeyScope) =>
  scopedProcedure(scope).use(({ ctx, next }) => {
    if (ctx.principal.role !== "admin")
      throw new TRPCError({
        code: "FORBIDDEN",
        message: "administrators only",
      });
    return next();
  });

/**
 * Anyone, signed in or not (what they may read is decided per object: public
 * experiments are readable anonymously); an API key needs `scope`.
 */
export const readProcedure = (scope: ApiKeyScope) =>
  publicProcedure.use(({ ctx, next }) => {
    if (ctx.principal) assertScope(ctx.principal, scope);
    return next();
  });
