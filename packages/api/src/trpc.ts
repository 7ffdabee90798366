import { initTRPC, TRPCError } from "@trpc/server";
import type { ApiKeyScope, Principal } from "./auth/principal.ts";
import type { ApiContext } from "./context.ts";
import { databaseUnavailable } from "./errors/database-unavailable.ts";
import { LoupeError } from "./errors/loupe-error.ts";
import { toLoupeError } from "./errors/to-loupe-error.ts";
import {
  describeUnstorableString,
  findUnstorableString,
} from "./http/find-unstorable-string.ts";
import { assertSdkServed } from "./sdk-compatibility.ts";

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

/**
 * Anyone, signed in or not; the base of every procedure. Refuses an SDK
 * whose version the server cannot serve (assertSdkServed), and, before the
 * procedure's own schema, input holding a string PostgreSQL cannot store (a
 * NUL, a lone surrogate): a 400 naming the field, for every procedure at once.
 * A database that cannot be reached is a 503 (SERVICE_UNAVAILABLE, the
 * client may retry), not an internal error; a domain error thrown by any
 * procedure answers with its registry code and status (toLoupeError).
 */
export const publicProcedure = t.procedure.use(
  async ({ ctx, getRawInput, next }) => {
    assertSdkServed(ctx.sdkVersion ?? null);
    const found = findUnstorableString(await getRawInput());
    if (found)
      throw new LoupeError(
        { code: "UNSTORABLE_STRING", path: found.path, problem: found.problem },
        describeUnstorableString(found),
      );
    const result = await next();
    if (!result.ok) {
      // tRPC wraps an error that is not its own as an internal one, with the
      // error as its cause: a domain error is translated here, once.
      const translated =
        databaseUnavailable(result.error) ??
        (result.error.code === "INTERNAL_SERVER_ERROR"
          ? toLoupeError(result.error.cause)
          : null);
      if (translated) throw translated;
    }
    return result;
  },
);

/** A signed-in account (session or API key). */
export const signedInProcedure = publicProcedure.use(({ ctx, next }) => {
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
