"use client";
import type { AppRouter } from "@loupe/api";
import { createTRPCClient, httpBatchLink } from "@trpc/client";

/** The browser's tRPC client (typed by the router type only). */
export const trpc = createTRPCClient<AppRouter>({
  links: [httpBatchLink({ url: "/api/trpc" })],
});
