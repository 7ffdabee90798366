import { router } from "../../trpc.ts";
import { commitVersion } from "./commit-version.ts";
import { createExperiment } from "./create-experiment.ts";
import { describeExperiment } from "./describe-experiment.ts";
import { diffVersions } from "./diff-versions.ts";
import { forkExperiment } from "./fork-experiment.ts";
import { getExperiment } from "./get-experiment.ts";
import { getVersion } from "./get-version.ts";
import { listMine } from "./list-mine.ts";
import { listRuns } from "./list-runs.ts";
import { readHistory } from "./read-history.ts";
import { resolveExperiment } from "./resolve-experiment.ts";
import { searchGallery } from "./search-gallery.ts";
import { setVisibility } from "./set-visibility.ts";
import { starExperiment } from "./star-experiment.ts";

/**
 * Experiments: a title, a license, a visibility, and a history of immutable
 * graph versions (its event stream). Forks point at the version they came
 * from. One procedure per file, each documented where it is defined.
 */
export const experimentsRouter = router({
  create: createExperiment,
  commitVersion,
  fork: forkExperiment,
  get: getExperiment,
  version: getVersion,
  /** The experiment's stream: every fact about it, in order. */
  history: readHistory,
  diff: diffVersions,
  /** Public experiments, searched, filtered, sorted and paged by keyset. */
  gallery: searchGallery,
  /** Every run of an experiment (any version), newest first. */
  runs: listRuns,
  describe: describeExperiment,
  mine: listMine,
  star: starExperiment,
  setVisibility,
  /** The experiment a full or short id (a unique prefix) names, among those the caller may read. */
  resolve: resolveExperiment,
});
