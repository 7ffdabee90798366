// Unit tests of the portal's pure parts (result views, graph drawing layout, citations).
import { defineLoupeTests } from "../../vitest.shared.ts";

export default defineLoupeTests({ passWithNoTests: true });
