import {
  appRouter,
  clientAddressFromHeaders,
  createApiContext,
  DATABASE_RETRY_AFTER_S,
  maxRequestBytes,
  RequestTooLargeError,
  type Principal,
  requestTooLargeResponse,
  withLimitedBody,
} from "@loupe/api";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { getApiServices } from "../server/api-services";
import { getWebEnv } from "../server/env";
import { principalOf } from "../server/principal";
import { failureResponse } from "./failure-response";

/**
 * /api/trpc/<procedures>: the tRPC API (the SDK's, the CLI's, the portal's
 * browser code's). What a request may cost is bounded before any work: at
 * most LOUPE_MAX_BATCH_PROCEDURES procedures per batch (refused before the
 * caller is even resolved), and a body within the caller's maxRequestBytes
 * (refused before it is parsed). A revoked or unknown API key is a 401, a
 * database outage a 503 with Retry-After.
 */
export async function trpcEndpoint(req: Request): Promise<Response> {
  const url = new URL(req.url);
  const procedures = url.pathname.replace(/^\/api\/trpc\//, "");
  const maxBatch = getWebEnv().LOUPE_MAX_BATCH_PROCEDURES;
  const batch = url.searchParams.get("batch") === "1";
  if (batch) {
    const count = procedures.split(",").length;
    if (count > maxBatch) {
      await req.body?.cancel().catch(() => {});
      return batchTooLargeResponse(count, maxBatch);
    }
  }
  const services = getApiServices();
  let limited: Request;
  let principal: Principal | null;
  try {
    // Who calls, from the headers alone; then their body limit
    // (maxRequestBytes), enforced before the body is parsed.
    principal = await principalOf(req.headers);
    limited = await withLimitedBody(
      req,
      await maxRequestBytes(services.db, principal),
    );
  } catch (error) {
    if (error instanceof RequestTooLargeError)
      return requestTooLargeResponse(error, procedures);
    const failure = failureResponse(error);
    if (failure) {
      await req.body?.cancel().catch(() => {});
      return failure;
    }
    throw error;
  }
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req: limited,
    router: appRouter,
    maxBatchSize: maxBatch,
    createContext: () =>
      createApiContext(
        services,
        principal,
        clientAddressFromHeaders(req.headers),
        // The SDK's SDK_VERSION_HEADER (@loupe/api's sdk-compatibility.ts).
        req.headers.get("x-loupe-sdk-version"),
      ),
    responseMeta({ errors }) {
      return errors.some((e) => e.code === "SERVICE_UNAVAILABLE")
        ? { headers: { "retry-after": String(DATABASE_RETRY_AFTER_S) } }
        : {};
    },
    onError({ error, path }) {
      if (
        error.code === "INTERNAL_SERVER_ERROR" ||
        error.code === "SERVICE_UNAVAILABLE"
      )
        console.error(`[api] ${path ?? "?"}:`, error.cause ?? error);
    },
  });
}

/** The refusal of a batch over LOUPE_MAX_BATCH_PROCEDURES, as a tRPC error body. */
function batchTooLargeResponse(count: number, max: number): Response {
  return Response.json(
    {
      error: {
        message: `a batch of ${count} procedures: at most ${max} may be called in one request (LOUPE_MAX_BATCH_PROCEDURES); split the batch`,
        code: -32600,
        data: {
          code: "PAYLOAD_TOO_LARGE",
          httpStatus: 413,
          loupe: { code: "BATCH_TOO_LARGE", max, actual: count },
        },
      },
    },
    { status: 413 },
  );
}
