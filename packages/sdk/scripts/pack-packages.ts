/**
 * `npm run pack:sdk [-- --out <dir>]`: builds @loupe/graph, @loupe/engine and
 * @loupe/sdk into publishable packages and packs them into tarballs (default
 * .loupe/pack/), printing each tarball's path. `npm publish <tarball>`
 * publishes one; e2e/packed-install.e2e.test.ts installs them outside the
 * repository and runs a script with them.
 */
import path from "node:path";
import { packPackages } from "./pack/pack-packages.ts";

const repoRoot = path.resolve(import.meta.dirname, "..", "..", "..");
const at = process.argv.indexOf("--out");
const outDir = path.resolve(
  at > 0 ? process.argv[at + 1]! : path.join(repoRoot, ".loupe", "pack"),
);
for (const packed of packPackages(repoRoot, outDir))
  console.log(packed.tarball);
