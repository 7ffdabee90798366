import fs from "node:fs";
import path from "node:path";
import { fromSafetensors, toSafetensors, type SavedTensor } from "@loupe/graph";

/** A contender's file in the dump folder: `PEER.safetensors`, as the Python peers name theirs too. */
const dumpFileOf = (dir: string, peer: string) =>
  path.join(dir, `${peer}.safetensors`);

/**
 * Writes a contender's outputs, one tensor per task, to DIR/PEER.safetensors
 * (creating DIR), for the benchmark to check against the reference; does
 * nothing when the contender runs without --dump (`dir` undefined).
 */
export function writeContenderDump(
  dir: string | undefined,
  peer: string,
  outputs: Readonly<Record<string, SavedTensor>>,
): void {
  if (!dir) return;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(dumpFileOf(dir, peer), toSafetensors(outputs));
}

/** The outputs a contender dumped to DIR/PEER.safetensors, by task; undefined when it wrote none. */
export function readContenderDump(
  dir: string,
  peer: string,
): Record<string, SavedTensor> | undefined {
  const file = dumpFileOf(dir, peer);
  return fs.existsSync(file)
    ? fromSafetensors(new Uint8Array(fs.readFileSync(file))).tensors
    : undefined;
}
