import { randomBytes } from "node:crypto";
import { rename, rm, writeFile } from "node:fs/promises";

/**
 * Writes `text` to `file` through a temporary file in the same folder and a
 * rename, so `file` holds either its old contents or all of the new ones, never
 * a half-written file, and nothing is left behind on failure.
 */
export async function writeFileAtomically(
  file: string,
  text: string,
): Promise<void> {
  const temp = `${file}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(temp, text, { flag: "wx" });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
