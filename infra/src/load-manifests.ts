import fs from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";

/** A Kubernetes object as written in infra/kubernetes, loosely typed for checks. */
export interface Manifest {
  readonly file: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
  };
  readonly spec?: Record<string, unknown>;
  readonly data?: Record<string, string>;
}

/** Parses every YAML document under `dir`; a syntax error names the file and line. */
export function loadManifests(dir: string): Manifest[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .flatMap((file) => {
      const docs = parseAllDocuments(
        fs.readFileSync(path.join(dir, file), "utf8"),
      );
      return docs.map((doc) => {
        if (doc.errors.length > 0)
          throw new Error(
            `${file}: ${doc.errors.map((e) => e.message).join("; ")}`,
          );
        const value = doc.toJS() as Omit<Manifest, "file">;
        if (!value?.apiVersion || !value.kind || !value.metadata?.name) {
          throw new Error(
            `${file}: a document lacks apiVersion, kind or metadata.name`,
          );
        }
        return { file, ...value };
      });
    });
}
