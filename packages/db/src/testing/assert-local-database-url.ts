/**
 * Returns the URL if it names a PostgreSQL server on this machine; throws otherwise,
 * so that a test run can never truncate a shared database.
 */
export function assertLocalDatabaseUrl(url: string | undefined): string {
  if (!url)
    throw new Error(
      "DATABASE_URL is not set: run the tests through `npm test`, which starts PostgreSQL",
    );
  const host = new URL(url).hostname;
  if (!["127.0.0.1", "localhost", "::1", "[::1]"].includes(host)) {
    throw new Error(
      `refusing to run tests against the non-local database host "${host}"`,
    );
  }
  return url;
}
