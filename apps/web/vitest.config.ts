// No tests yet: this package is filled in by a later issue.
import { defineLoupeTests } from "../../vitest.shared.ts";

export default defineLoupeTests({ passWithNoTests: true });
