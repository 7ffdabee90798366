"use client";
import type { AppRouter } from "@loupe/api";
import { createTRPCClient, httpBatchLink } from "@trpc/client";

/**
 * The browser's tRPC client (typed by the router type only). A batch holds
 * at most 20 procedures, the server's default LOUPE_MAX_BATCH_PROCEDURES.
 */
export const trpc = createTRPCClient<AppRouter>({
  links: [httpBatchLink({ url: "/api/trpc", maxItems: 20 })],
});
