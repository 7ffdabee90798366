import { TRPCError } from "@trpc/server";
import { failureResponse } from "./failure-response";

/**
 * An endpoint's response, or the answer to its failure: the API's NOT_FOUND
 * (a run the caller may not read, a model without a tokenizer) is a 404 that
 * says what was not found; failureResponse's failures are its answers;
 * anything else is a bug, thrown on (the listener answers 500 and logs it).
 */
export async function respondOrFail(
  respond: () => Promise<Response>,
): Promise<Response> {
  try {
    return await respond();
  } catch (error) {
    if (error instanceof TRPCError && error.code === "NOT_FOUND")
      return Response.json({ error: error.message }, { status: 404 });
    const failure = failureResponse(error);
    if (failure) return failure;
    throw error;
  }
}
