/**
 * @loupe/sdk: the client SDK and the `loupe` CLI. Remote calls go through tRPC
 * (the API's router type only); local runs will load @loupe/engine dynamically.
 */
export { SDK_VERSION } from "./version.ts";
export { buildProgram } from "./cli/main.ts";
