"use server";
import { formText } from "../form-fields";
import { revalidatePath } from "next/cache";
import { getServerCaller } from "../caller";
import { describeError } from "../describe-error";
import { backWith } from "../form-redirect";

const num = (form: FormData, name: string) => Number(form.get(name));
const quotaOf = (form: FormData) => ({
  computeSecondsPerDay: num(form, "computeSecondsPerDay"),
  maxConcurrentRuns: num(form, "maxConcurrentRuns"),
  maxRunsPerDay: num(form, "maxRunsPerDay"),
  maxResultBytes: Math.round(num(form, "maxResultMiB") * 1024 ** 2),
});

export async function reviewAction(form: FormData) {
  const caller = await getServerCaller();
  const userId = formText(form, "userId");
  const decision = formText(form, "decision");
  try {
    if (decision === "approve")
      await caller.applications.review({
        userId,
        decision: "approve",
        quota: quotaOf(form),
      });
    else
      await caller.applications.review({
        userId,
        decision: "reject",
        reason: formText(form, "reason"),
      });
  } catch (error) {
    backWith("/admin", { error: describeError(error) });
  }
  revalidatePath("/admin");
  backWith("/admin", {
    notice: `${formText(form, "email")}: ${decision === "approve" ? "approved" : "rejected"}.`,
  });
}

export async function setQuotaAction(form: FormData) {
  const caller = await getServerCaller();
  try {
    await caller.admin.setQuota({
      userId: formText(form, "userId"),
      ...quotaOf(form),
    });
  } catch (error) {
    backWith("/admin", { error: describeError(error) });
  }
  revalidatePath("/admin");
  backWith("/admin", { notice: `Quota of ${formText(form, "email")} saved.` });
}

/** Records a request to host a model from files the workers read (nothing is uploaded). */
export async function hostModelAction(form: FormData) {
  const caller = await getServerCaller();
  const name = formText(form, "name");
  try {
    await caller.models.host({ name, source: formText(form, "source") });
  } catch (error) {
    backWith("/admin", { error: describeError(error) });
  }
  revalidatePath("/admin");
  backWith("/admin", {
    notice: `Hosting ${name} requested: the workers that host models on request load it now; its state shows below and on the models page.`,
  });
}

/** Unhosts a model: no new runs, its waiting runs end, its workers free its memory. */
export async function unhostModelAction(form: FormData) {
  const caller = await getServerCaller();
  const name = formText(form, "name");
  let endedRuns = 0;
  try {
    ({ endedRuns } = await caller.models.unhost({ name }));
  } catch (error) {
    backWith("/admin", { error: describeError(error) });
  }
  revalidatePath("/admin");
  backWith("/admin", {
    notice: `${name} unhosted${endedRuns > 0 ? `; ${endedRuns} waiting run${endedRuns === 1 ? "" : "s"} ended` : ""}.`,
  });
}

/** Disables an account: its sessions, sign-in links and API keys end at once. */
export async function disableAccountAction(form: FormData) {
  const caller = await getServerCaller();
  const email = formText(form, "email");
  let revokedKeys = 0;
  try {
    ({ revokedKeys } = await caller.admin.disableAccount({
      userId: formText(form, "userId"),
      reason: formText(form, "reason"),
    }));
  } catch (error) {
    backWith("/admin", { error: describeError(error) });
  }
  revalidatePath("/admin");
  backWith("/admin", {
    notice: `${email} disabled: its sessions and sign-in links ended, ${revokedKeys} API key${revokedKeys === 1 ? "" : "s"} revoked.`,
  });
}

/** Enables a disabled account (what disabling ended stays ended). */
export async function enableAccountAction(form: FormData) {
  const caller = await getServerCaller();
  try {
    await caller.admin.enableAccount({ userId: formText(form, "userId") });
  } catch (error) {
    backWith("/admin", { error: describeError(error) });
  }
  revalidatePath("/admin");
  backWith("/admin", {
    notice: `${formText(form, "email")} enabled: it may sign in again.`,
  });
}

/** Revokes every API key of an account. */
export async function revokeUserKeysAction(form: FormData) {
  const caller = await getServerCaller();
  let revokedKeys = 0;
  try {
    ({ revokedKeys } = await caller.admin.revokeApiKeys({
      userId: formText(form, "userId"),
    }));
  } catch (error) {
    backWith("/admin", { error: describeError(error) });
  }
  revalidatePath("/admin");
  backWith("/admin", {
    notice: `${formText(form, "email")}: ${revokedKeys} API key${revokedKeys === 1 ? "" : "s"} revoked.`,
  });
}
