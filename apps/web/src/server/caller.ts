import "server-only";
import { createApiContext, createCaller } from "@loupe/api";
import { getApiServices } from "./api-services";

/** A tRPC caller for server components: the same procedures, no HTTP hop. */
export function getServerCaller() {
  return createCaller(createApiContext(getApiServices()));
}
