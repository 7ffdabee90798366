import { LoupeError } from "./errors/loupe-error.ts";

/** This server's version, named to an SDK it cannot serve. */
export const SERVER_VERSION = "0.1.0";

/** The request header the SDK sends its version in (the SDK's SDK_VERSION_HEADER). */
export const SDK_VERSION_HEADER = "x-loupe-sdk-version";

const majorOf = (version: string) => /^(\d+)\.\d+\.\d+/.exec(version)?.[1];

/**
 * Refuses a request from an SDK this server cannot serve: the rule is the
 * same major version as the server's (the API keeps its procedures' inputs
 * and outputs compatible within a major version). A request that names no
 * version (the portal's own pages, curl) is served; one whose version does
 * not parse is refused, naming it.
 */
export function assertSdkServed(sdkVersion: string | null): void {
  if (sdkVersion === null) return;
  const served = majorOf(SERVER_VERSION)!;
  if (majorOf(sdkVersion) === served) return;
  throw new LoupeError(
    {
      code: "SDK_VERSION_UNSUPPORTED",
      sdkVersion,
      serverVersion: SERVER_VERSION,
    },
    `this Loupe server (version ${SERVER_VERSION}) cannot serve @loupe/sdk ${sdkVersion}: it serves SDK versions ${served}.x; install one with \`npm install @loupe/sdk@${served}\``,
  );
}
