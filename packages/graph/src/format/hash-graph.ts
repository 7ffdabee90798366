import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { canonicalJson } from "./canonical-json.ts";
import type { Graph } from "./graph-schema.ts";

/**
 * The content hash of a graph: SHA-256 of its canonical JSON, as `sha256:<hex>`.
 * Independent of key order and whitespace. (@noble/hashes: audited, pure
 * JavaScript, so it runs in browsers and Temporal workflows alike.)
 */
export function hashGraph(graph: Graph): string {
  return `sha256:${bytesToHex(sha256(utf8ToBytes(canonicalJson(graph))))}`;
}
