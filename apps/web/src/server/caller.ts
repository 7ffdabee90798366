import "server-only";
import { createApiContext, createCaller } from "@loupe/api";
import { headers } from "next/headers";
import { getApiServices } from "./api-services";
import { principalOf } from "./principal";

/** A tRPC caller for server components, as the signed-in user: the same procedures, no HTTP hop. */
export async function getServerCaller() {
  return createCaller(
    createApiContext(getApiServices(), await principalOf(await headers())),
  );
}
