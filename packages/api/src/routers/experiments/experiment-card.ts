/** An experiment's row, as the experiments read model keeps it. */
interface ExperimentRow {
  id: string;
  ownerId: string;
  title: string;
  description: string;
  visibility: string;
  license: string;
  forkedFromId: string | null;
  forkedFromVersion: number | null;
  latestVersion: number;
  model: string | null;
  tags: string[];
  stars: number;
  forks: number;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * An experiment as the API shows it: the row, with its source (when it is a
 * fork) as one `forkedFrom` object rather than two nullable columns.
 */
export const toExperimentCard = (e: ExperimentRow) => ({
  id: e.id,
  ownerId: e.ownerId,
  title: e.title,
  description: e.description,
  visibility: e.visibility,
  license: e.license,
  forkedFrom:
    e.forkedFromId === null
      ? null
      : { experimentId: e.forkedFromId, version: e.forkedFromVersion! },
  latestVersion: e.latestVersion,
  model: e.model,
  tags: e.tags,
  stars: e.stars,
  forks: e.forks,
  createdAt: e.createdAt,
  updatedAt: e.updatedAt,
});
