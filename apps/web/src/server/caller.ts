import "server-only";
import {
  clientAddressFromHeaders,
  createApiContext,
  createCaller,
} from "@loupe/api";
import { headers } from "next/headers";
import { cache } from "react";
import { getApiServices } from "./api-services";
import { noteDatabaseOutage } from "./database-outage";
import { principalOf } from "./principal";

/**
 * A tRPC caller for server components, as the signed-in user: the same
 * procedures, no HTTP hop. Once per request (React's cache): the header and
 * the page resolve the principal (session, database) once between them.
 */
export const getServerCaller = cache(async () => {
  // Pages act for the browser's session only: an API key is for the API
  // (server.ts answers a bad one with 401 before the page; a good one does
  // not make a page act as its account, whose session-only reads would fail).
  const requestHeaders = new Headers(await headers());
  requestHeaders.delete("authorization");
  return createCaller(
    createApiContext(
      getApiServices(),
      await principalOf(requestHeaders),
      clientAddressFromHeaders(requestHeaders),
    ),
    {
      // The page's render fails with it; server.ts then answers 503, not 500.
      onError: ({ error }) => {
        if (error.code === "SERVICE_UNAVAILABLE") noteDatabaseOutage();
      },
    },
  );
});
