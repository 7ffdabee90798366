import { defineLoupeTests } from "../../vitest.shared.ts";

export default defineLoupeTests({ slowUnitTests: true });
