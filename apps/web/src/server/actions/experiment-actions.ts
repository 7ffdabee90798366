"use server";
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { getServerCaller } from "../caller";
import { describeError } from "../describe-error";
import { backWith } from "../form-redirect";

const text = (form: FormData, name: string) => {
  const v = form.get(name);
  return typeof v === "string" ? v : "";
};
const page = (id: string) => `/experiments/${encodeURIComponent(id)}`;

export async function starAction(form: FormData) {
  const id = text(form, "experimentId");
  const caller = await getServerCaller();
  try {
    await caller.experiments.star({
      experimentId: id,
      starred: text(form, "starred") === "true",
    });
  } catch (error) {
    backWith(page(id), { error: describeError(error) });
  }
  revalidatePath(page(id));
  redirect(page(id));
}

export async function forkAction(form: FormData) {
  const id = text(form, "experimentId");
  const caller = await getServerCaller();
  let forked: { experimentId: string };
  try {
    forked = await caller.experiments.fork({
      experimentId: id,
      version: Number(text(form, "version")),
      title: text(form, "title").trim() || undefined,
      visibility: (text(form, "visibility") || "private") as "private",
    });
  } catch (error) {
    backWith(page(id), { error: describeError(error) });
  }
  redirect(
    `${page(forked.experimentId)}?notice=${encodeURIComponent("Forked: this copy is yours to change.")}`,
  );
}

export async function setVisibilityAction(form: FormData) {
  const id = text(form, "experimentId");
  const caller = await getServerCaller();
  try {
    await caller.experiments.setVisibility({
      experimentId: id,
      visibility: text(form, "visibility") as "private",
    });
  } catch (error) {
    backWith(page(id), { error: describeError(error) });
  }
  revalidatePath(page(id));
  backWith(page(id), {
    notice: `Visibility is now ${text(form, "visibility")}.`,
  });
}

export async function describeAction(form: FormData) {
  const id = text(form, "experimentId");
  const caller = await getServerCaller();
  try {
    await caller.experiments.describe({
      experimentId: id,
      title: text(form, "title"),
      description: text(form, "description"),
      license: text(form, "license"),
      tags: text(form, "tags")
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean),
    });
  } catch (error) {
    backWith(`${page(id)}/edit`, { error: describeError(error) });
  }
  revalidatePath(page(id));
  backWith(page(id), { notice: "Saved." });
}

/** Commits an edited graph document as the next version: VERSION_CONFLICT if someone committed first. */
export async function commitAction(form: FormData) {
  const id = text(form, "experimentId");
  const caller = await getServerCaller();
  let graph: unknown = null;
  try {
    graph = JSON.parse(text(form, "graph"));
  } catch (error) {
    backWith(`${page(id)}/commit`, {
      error: `the graph is not valid JSON: ${(error as Error).message}`,
    });
  }
  let committed: { version: number };
  try {
    committed = await caller.experiments.commitVersion({
      experimentId: id,
      expectedVersion: Number(text(form, "expectedVersion")),
      model: text(form, "model"),
      graph,
      message: text(form, "message"),
    });
  } catch (error) {
    backWith(`${page(id)}/commit`, { error: describeError(error) });
  }
  revalidatePath(page(id));
  redirect(
    `${page(id)}/diff?from=${committed.version - 1}&to=${committed.version}`,
  );
}

export async function runVersionAction(form: FormData) {
  const id = text(form, "experimentId");
  const caller = await getServerCaller();
  let run: { runId: string };
  try {
    run = await caller.runs.submit({
      experimentId: id,
      version: Number(text(form, "version")),
      reuse: text(form, "reuse") !== "false",
    });
  } catch (error) {
    backWith(page(id), { error: describeError(error) });
  }
  redirect(`/runs/${run.runId}`);
}
