import type { Database } from "@loupe/db";
import { notFound } from "../errors/loupe-error.ts";

/** An account's row by its id, or NOT_FOUND naming the account. */
export async function getAccountOrThrow(db: Database, userId: string) {
  const account = await db.account.findUnique({ where: { id: userId } });
  if (!account) throw notFound(`account ${userId}`);
  return account;
}
