/** The SDK's version, shown by `loupe --version` and sent with API calls. */
export const SDK_VERSION = "0.1.0";
