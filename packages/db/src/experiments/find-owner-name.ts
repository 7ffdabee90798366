import type { Database } from "../create-database.ts";

/** The name an experiment's owner shows under, or null when the account is gone. */
export async function findOwnerName(
  db: Database,
  ownerId: string,
): Promise<string | null> {
  const account = await db.account.findUnique({
    where: { id: ownerId },
    select: { name: true },
  });
  return account?.name ?? null;
}
