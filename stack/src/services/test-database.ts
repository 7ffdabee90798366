import pg from "pg";

/** Runs statements on the server's `postgres` maintenance database. */
async function onServer(url: string, statements: string[]): Promise<void> {
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    for (const sql of statements) await client.query(sql);
  } finally {
    await client.end();
  }
}

function databaseNameOf(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!/^[a-z_][a-z0-9_]*$/.test(name))
    throw new Error(`bad database name "${name}"`);
  return name;
}

/** Drops the database `url` names (closing its connections) and creates it empty. */
export async function recreateDatabase(url: string): Promise<void> {
  const name = databaseNameOf(url);
  await onServer(url, [
    `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`,
    `CREATE DATABASE "${name}"`,
  ]);
}

/** Drops the database `url` names, if it exists. */
export async function dropDatabase(url: string): Promise<void> {
  await onServer(url, [
    `DROP DATABASE IF EXISTS "${databaseNameOf(url)}" WITH (FORCE)`,
  ]);
}

/**
 * Creates (or re-creates) database `name` as a copy of the database that
 * `templateUrl` names, on the same server, and returns its URL. Copying the
 * migrated template takes milliseconds, so every test suite starts clean.
 */
export async function createDatabaseFromTemplate(
  templateUrl: string,
  name: string,
): Promise<string> {
  const url = new URL(templateUrl);
  url.pathname = `/${name}`;
  const target = url.toString();
  await onServer(templateUrl, [
    `DROP DATABASE IF EXISTS "${databaseNameOf(target)}" WITH (FORCE)`,
    `CREATE DATABASE "${databaseNameOf(target)}" TEMPLATE "${databaseNameOf(templateUrl)}"`,
  ]);
  return target;
}
