import { initTRPC } from "@trpc/server";
import type { ApiContext } from "./context.ts";

const t = initTRPC.context<ApiContext>().create({
  errorFormatter({ shape, error }) {
    // Internal errors are logged by the adapter and never leak their message.
    if (error.code === "INTERNAL_SERVER_ERROR") {
      return {
        ...shape,
        message: "internal error",
        data: { ...shape.data, stack: undefined },
      };
    }
    return { ...shape, data: { ...shape.data, stack: undefined } };
  },
});

export const router = t.router;
export const publicProcedure = t.procedure;
export const createCallerFactory = t.createCallerFactory;
