"use server";
import { revalidatePath } from "next/cache";
import { getServerCaller } from "../caller";
import { describeError } from "../describe-error";
import { backWith } from "../form-redirect";

export interface CreateKeyState {
  /** The new key's secret: shown this once. */
  created?: { key: string; prefix: string; name: string };
  error?: string;
}

export async function createKeyAction(
  _previous: CreateKeyState,
  form: FormData,
): Promise<CreateKeyState> {
  const caller = await getServerCaller();
  const raw = form.get("name");
  const name = typeof raw === "string" ? raw.trim() : "";
  const scopes = form.getAll("scopes").filter((s) => typeof s === "string");
  try {
    const created = await caller.keys.create({
      name,
      scopes: scopes as never,
    });
    revalidatePath("/keys");
    return { created: { key: created.key, prefix: created.prefix, name } };
  } catch (error) {
    return { error: describeError(error) };
  }
}

export async function revokeKeyAction(form: FormData) {
  const caller = await getServerCaller();
  const keyId = form.get("keyId");
  try {
    await caller.keys.revoke({ keyId: typeof keyId === "string" ? keyId : "" });
  } catch (error) {
    backWith("/keys", { error: describeError(error) });
  }
  revalidatePath("/keys");
  backWith("/keys", {
    notice: "Key revoked: scripts using it are refused from now on.",
  });
}
