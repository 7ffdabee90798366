import type { AppRouter, createCaller } from "@loupe/api";
import type { inferRouterOutputs } from "@trpc/server";

/**
 * What each API procedure answers over HTTP, by router and procedure name
 * (`RouterOutputs["runs"]["status"]`): JSON, so dates are ISO strings. For
 * client components, which call the API through the browser's client.
 */
export type RouterOutputs = inferRouterOutputs<AppRouter>;

type Answers<Caller> = {
  [Name in keyof Caller]: Caller[Name] extends (
    ...args: never[]
  ) => Promise<infer Output>
    ? Output
    : Answers<Caller[Name]>;
};

/**
 * What each procedure answers the pages' server-side caller
 * (`CallerOutputs["runs"]["list"]`): no JSON on the way, so dates are Dates.
 * Components take the types of the data they show from here or from
 * RouterOutputs, so a field the API renames or retypes fails to compile
 * where it is shown, instead of drifting from a copied interface.
 */
export type CallerOutputs = Answers<ReturnType<typeof createCaller>>;
