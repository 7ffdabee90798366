"use server";
import { formText } from "../form-fields";
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { getServerCaller } from "../caller";
import { describeError } from "../describe-error";
import { backWith } from "../form-redirect";

const page = (id: string) => `/experiments/${encodeURIComponent(id)}`;

export async function starAction(form: FormData) {
  const id = formText(form, "experimentId");
  const caller = await getServerCaller();
  try {
    await caller.experiments.star({
      experimentId: id,
      starred: formText(form, "starred") === "true",
    });
  } catch (error) {
    backWith(page(id), { error: describeError(error) });
  }
  revalidatePath(page(id));
  redirect(page(id));
}

export async function forkAction(form: FormData) {
  const id = formText(form, "experimentId");
  const caller = await getServerCaller();
  let forked: { experimentId: string };
  try {
    forked = await caller.experiments.fork({
      experimentId: id,
      version: Number(formText(form, "version")),
      title: formText(form, "title").trim() || undefined,
      visibility: (formText(form, "visibility") || "private") as "private",
    });
  } catch (error) {
    backWith(page(id), { error: describeError(error) });
  }
  redirect(
    `${page(forked.experimentId)}?notice=${encodeURIComponent("Forked: this copy is yours to change.")}`,
  );
}

export async function setVisibilityAction(form: FormData) {
  const id = formText(form, "experimentId");
  const caller = await getServerCaller();
  try {
    await caller.experiments.setVisibility({
      experimentId: id,
      visibility: formText(form, "visibility") as "private",
    });
  } catch (error) {
    backWith(page(id), { error: describeError(error) });
  }
  revalidatePath(page(id));
  backWith(page(id), {
    notice: `Visibility is now ${formText(form, "visibility")}.`,
  });
}

export async function describeAction(form: FormData) {
  const id = formText(form, "experimentId");
  const caller = await getServerCaller();
  try {
    await caller.experiments.describe({
      experimentId: id,
      title: formText(form, "title"),
      description: formText(form, "description"),
      license: formText(form, "license"),
      tags: formText(form, "tags")
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
  const id = formText(form, "experimentId");
  const caller = await getServerCaller();
  let graph: unknown = null;
  try {
    graph = JSON.parse(formText(form, "graph"));
  } catch (error) {
    backWith(`${page(id)}/commit`, {
      error: `the graph is not valid JSON: ${(error as Error).message}`,
    });
  }
  let committed: { version: number };
  try {
    committed = await caller.experiments.commitVersion({
      experimentId: id,
      expectedVersion: Number(formText(form, "expectedVersion")),
      model: formText(form, "model"),
      graph,
      message: formText(form, "message"),
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
  const id = formText(form, "experimentId");
  const caller = await getServerCaller();
  let run: { runId: string };
  try {
    run = await caller.runs.submit({
      experimentId: id,
      version: Number(formText(form, "version")),
      reuse: formText(form, "reuse") !== "false",
    });
  } catch (error) {
    backWith(page(id), { error: describeError(error) });
  }
  redirect(`/runs/${run.runId}`);
}
