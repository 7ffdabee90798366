import { serializeGraph, type Graph } from "@loupe/graph";
import type { ApiClient } from "../client/api-client.ts";

export type Visibility = "private" | "unlisted" | "public";

/** An experiment's card, as the gallery shows it. */
export interface ExperimentCard {
  readonly id: string;
  readonly ownerId: string;
  readonly title: string;
  readonly description: string;
  readonly visibility: string;
  readonly license: string;
  readonly forkedFrom: { experimentId: string; version: number } | null;
  readonly latestVersion: number;
  readonly model: string | null;
  readonly tags: readonly string[];
  readonly stars: number;
  readonly forks: number;
}

/** One gallery card: an experiment and who owns it. */
export interface GalleryCard {
  readonly id: string;
  readonly ownerId: string;
  readonly ownerName: string;
  readonly title: string;
  readonly description: string;
  readonly license: string;
  readonly model: string | null;
  readonly tags: readonly string[];
  readonly stars: number;
  readonly forks: number;
  readonly latestVersion: number;
  readonly forkedFromId: string | null;
}

/** A page of the gallery; pass `nextCursor` as `after` for the next one. */
export interface GalleryPage {
  readonly items: readonly GalleryCard[];
  readonly nextCursor: string | null;
}

/** A committed version: which experiment, which number. */
export interface VersionRef {
  readonly experimentId: string;
  readonly version: number;
}

const wire = (graph: Graph) => JSON.parse(serializeGraph(graph)) as unknown;

/**
 * Experiments from scripts: push a graph as a new version (of a new or an
 * existing experiment), fork a version, browse the public gallery.
 */
export class ExperimentsClient {
  readonly #api: ApiClient;

  constructor(api: ApiClient) {
    this.#api = api;
  }

  /**
   * Commits `graph` as the next version of `experimentId`, or, without one,
   * creates an experiment titled `title` with it as version 1. The commit is
   * based on the version read just before it: if someone commits in between,
   * the server answers VERSION_CONFLICT rather than stacking blindly.
   */
  async push(input: {
    model: string;
    graph: Graph;
    message?: string;
    experimentId?: string;
    title?: string;
    description?: string;
    visibility?: Visibility;
  }): Promise<VersionRef> {
    const graph = wire(input.graph);
    const message = input.message ?? "";
    if (input.experimentId === undefined) {
      if (!input.title)
        throw new Error(
          "experiments.push: give experimentId (a new version) or title (a new experiment)",
        );
      const created = await this.#api.call("creating an experiment", (t) =>
        t.experiments.create.mutate({
          title: input.title!,
          description: input.description ?? "",
          visibility: input.visibility ?? "private",
          initial: { model: input.model, graph, message },
        }),
      );
      return { experimentId: created.experimentId, version: created.version };
    }
    const experimentId = input.experimentId;
    const current = await this.get(experimentId);
    const committed = await this.#api.call(
      `committing a version of experiment ${experimentId}`,
      (t) =>
        t.experiments.commitVersion.mutate({
          experimentId,
          expectedVersion: current.latestVersion,
          model: input.model,
          graph,
          message,
        }),
    );
    return { experimentId, version: committed.version };
  }

  /** Forks a version into a new experiment of yours (version 1 is that graph). */
  async fork(
    from: VersionRef,
    options: { title?: string; visibility?: Visibility } = {},
  ): Promise<VersionRef> {
    return this.#api.call(`forking experiment ${from.experimentId}`, (t) =>
      t.experiments.fork.mutate({
        experimentId: from.experimentId,
        version: from.version,
        ...(options.title !== undefined && { title: options.title }),
        visibility: options.visibility ?? "private",
      }),
    );
  }

  async get(experimentId: string): Promise<ExperimentCard> {
    const e = await this.#api.call(`reading experiment ${experimentId}`, (t) =>
      t.experiments.get.query({ experimentId }),
    );
    return e;
  }

  /** A version's graph and model. */
  async version(ref: VersionRef) {
    return this.#api.call(
      `reading version ${ref.version} of experiment ${ref.experimentId}`,
      (t) => t.experiments.version.query(ref),
    );
  }

  /**
   * One page of the public gallery: search by text, filter by model or tag,
   * sort by recency, stars or forks. Pages follow each other by cursor.
   */
  async gallery(
    options: {
      text?: string;
      model?: string;
      tag?: string;
      sort?: "recent" | "stars" | "forks";
      limit?: number;
      after?: string | null;
    } = {},
  ): Promise<GalleryPage> {
    return this.#api.call("searching the gallery", (t) =>
      t.experiments.gallery.query(options),
    );
  }

  /** Your experiments. */
  async mine(): Promise<ExperimentCard[]> {
    return this.#api.call("listing your experiments", (t) =>
      t.experiments.mine.query(),
    );
  }
}
