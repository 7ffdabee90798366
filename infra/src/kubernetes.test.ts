import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseWebEnv } from "../../apps/web/src/server/env.ts";
import { parseWorkerEnv } from "../../apps/worker/src/env.ts";
import { loadManifests, type Manifest } from "./load-manifests.ts";

// Offline validation of the deployment manifests (no cluster, no schema download
// here): structure, cross-references, and that each container's environment
// satisfies the app's own env parser, the contract that breaks first in practice.
const dir = path.resolve(import.meta.dirname, "..", "kubernetes");
const manifests = loadManifests(dir);
const byKind = (kind: string) => manifests.filter((m) => m.kind === kind);

interface Container {
  name: string;
  image: string;
  envFrom?: (
    { configMapRef: { name: string } } | { secretRef: { name: string } }
  )[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  ports?: { name: string; containerPort: number }[];
  readinessProbe?: { httpGet?: { port: string } };
  livenessProbe?: { tcpSocket?: { port: string } };
}
interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec: { containers: Container[] };
}
/** The pod template of a Deployment or a Job. */
const podOf = (m: Manifest) => (m.spec as { template: PodTemplate }).template;

// Keys of the Secret created out of band (documented in config.yaml and the README).
const secretValues: Record<string, Record<string, string>> = {
  "loupe-secrets": {
    DATABASE_URL: "postgresql://loupe:secret@db.example:5432/loupe",
    AUTH_SECRET: "a-random-key-of-at-least-32-characters",
  },
};

/** The environment a container would get: ConfigMaps, Secrets, then its own env. */
function environmentOf(container: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if ("configMapRef" in source) {
      const map = byKind("ConfigMap").find(
        (c) => c.metadata.name === source.configMapRef.name,
      );
      expect(
        map,
        `ConfigMap ${source.configMapRef.name} is defined`,
      ).toBeDefined();
      Object.assign(env, map!.data);
    } else {
      const secret = secretValues[source.secretRef.name];
      expect(
        secret,
        `Secret ${source.secretRef.name} is documented`,
      ).toBeDefined();
      Object.assign(env, secret);
    }
  }
  for (const entry of container.env ?? [])
    env[entry.name] = entry.value ?? "from-field-ref";
  return env;
}

describe("infra/kubernetes", () => {
  it("puts every object in the loupe namespace", () => {
    for (const m of manifests.filter((x) => x.kind !== "Namespace")) {
      expect(
        m.metadata.namespace,
        `${m.file}: ${m.kind}/${m.metadata.name}`,
      ).toBe("loupe");
    }
  });

  it("selects its own pods in every Deployment, Service and autoscaler", () => {
    const deployments = byKind("Deployment");
    for (const d of deployments) {
      const selector = (
        d.spec as { selector: { matchLabels: Record<string, string> } }
      ).selector.matchLabels;
      expect(
        podOf(d).metadata?.labels,
        `${d.metadata.name}: selector matches template labels`,
      ).toMatchObject(selector);
    }
    for (const s of byKind("Service")) {
      const selector = (s.spec as { selector: Record<string, string> })
        .selector;
      const targets = deployments.filter((d) =>
        Object.entries(selector).every(
          ([k, v]) => podOf(d).metadata?.labels?.[k] === v,
        ),
      );
      expect(
        targets,
        `Service ${s.metadata.name} selects a Deployment`,
      ).not.toHaveLength(0);
    }
    for (const h of byKind("HorizontalPodAutoscaler")) {
      const target = (
        h.spec as { scaleTargetRef: { kind: string; name: string } }
      ).scaleTargetRef;
      expect(
        manifests.some(
          (m) => m.kind === target.kind && m.metadata.name === target.name,
        ),
      ).toBe(true);
    }
  });

  it("probes only ports that the container names", () => {
    for (const d of byKind("Deployment")) {
      for (const c of podOf(d).spec.containers) {
        const names = (c.ports ?? []).map((p) => p.name);
        for (const port of [
          c.readinessProbe?.httpGet?.port,
          c.livenessProbe?.tcpSocket?.port,
        ]) {
          if (port !== undefined)
            expect(names, `${d.metadata.name}/${c.name}`).toContain(port);
        }
      }
    }
  });

  it("gives every web and worker container an environment its app accepts", () => {
    const containers = [...byKind("Deployment"), ...byKind("Job")].flatMap(
      (m) =>
        podOf(m).spec.containers.map((c) => ({
          owner: `${m.file}: ${m.metadata.name}`,
          c,
        })),
    );
    const web = containers.filter(
      ({ c }) => c.image.startsWith("loupe/web") && c.name === "web",
    );
    const workers = containers.filter(({ c }) =>
      c.image.startsWith("loupe/worker"),
    );
    expect(web.length).toBeGreaterThan(0);
    expect(workers.length).toBeGreaterThan(0);
    for (const { owner, c } of web)
      expect(() => parseWebEnv(environmentOf(c)), owner).not.toThrow();
    for (const { owner, c } of workers)
      expect(() => parseWorkerEnv(environmentOf(c)), owner).not.toThrow();
  });

  it("builds every image it runs from infra/docker/Dockerfile", () => {
    const dockerfile = fs.readFileSync(
      path.resolve(dir, "..", "docker", "Dockerfile"),
      "utf8",
    );
    const targets = new Set(
      [...dockerfile.matchAll(/^FROM \S+ AS (\S+)$/gm)].map((m) => m[1]),
    );
    for (const m of [...byKind("Deployment"), ...byKind("Job")]) {
      for (const c of podOf(m).spec.containers) {
        const target = /^loupe\/([a-z-]+):/.exec(c.image)?.[1];
        expect(targets, `${m.file}: image ${c.image}`).toContain(target);
      }
    }
  });

  it("gives each model's worker Deployment that model to host, within its memory limit", () => {
    const modelWorkers = byKind("Deployment").filter(
      (d) => podOf(d).metadata?.labels?.["loupe.dev/model"] !== undefined,
    );
    expect(modelWorkers.length).toBeGreaterThan(0);
    const quantity = (q: string) => {
      const m = /^(\d+)(Ki|Mi|Gi|Ti)?$/.exec(q);
      expect(m, `memory quantity ${q}`).not.toBeNull();
      const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
      return Number(m![1]) * (m![2] ? unit[m![2] as keyof typeof unit] : 1);
    };
    for (const d of modelWorkers) {
      const model = podOf(d).metadata!.labels!["loupe.dev/model"]!;
      const c = podOf(d).spec.containers[0]! as Container & {
        resources: { limits: { memory: string } };
      };
      const env = parseWorkerEnv(environmentOf(c));
      expect(env.LOUPE_HOSTING, d.metadata.name).toEqual({
        kind: "named",
        names: [model],
      });
      expect(env.LOUPE_WORKER_MEMORY_BYTES, d.metadata.name).not.toBeNull();
      expect(env.LOUPE_WORKER_MEMORY_BYTES!).toBeLessThan(
        quantity(c.resources.limits.memory),
      );
    }
  });

  it("would catch a missing variable: the env parsers reject an empty environment", () => {
    expect(() => parseWebEnv({})).toThrow("DATABASE_URL");
    expect(() => parseWorkerEnv({})).toThrow("TEMPORAL_ADDRESS");
  });
});
