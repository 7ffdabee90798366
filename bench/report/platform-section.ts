/**
 * The report's platform section: a small run's latency, throughput with
 * batching on and one request at a time, and where the CPU goes, from the
 * measurements of one `npm run bench`.
 */
import path from "node:path";
import type { BatchingPolicy } from "../platform/bench-stack.ts";
import type {
  LatencyModel,
  Throughput,
  TimedRun,
} from "../platform/platform-bench.ts";
import { renderChart, seriesLines } from "./charts.ts";
import type { ComparisonMeasurements } from "./comparison-section.ts";
import { median, mib, quantile } from "./stats.ts";

/** The platform's latency and throughput section. */
export async function platformSection(
  m: ComparisonMeasurements,
  chartsDir: string,
  reportDir: string,
): Promise<string> {
  const rel = (file: string) => path.relative(reportDir, file);
  const p = m.platform;
  const latencyRow = (
    policy: BatchingPolicy,
    label: string,
    model: LatencyModel,
  ) => {
    const runs = p.latency[policy][model];
    const ms = (xs: number[], q: number) => `${quantile(xs, q).toFixed(0)} ms`;
    const client = runs.map((r) => r.clientMs);
    const server = runs.map((r) => r.serverMs);
    const compute = runs.map((r) => r.computeMs);
    return `| ${model} | ${label} | ${runs.length} | ${ms(client, 0.5)} | ${ms(client, 0.95)} | ${ms(server, 0.5)} | ${ms(server, 0.95)} | ${ms(compute, 0.5)} |`;
  };
  const clientsList = p.throughput.on.map((t) => t.clients);
  const throughputRows = clientsList.map((clients) => {
    const on = p.throughput.on.find((t) => t.clients === clients)!;
    const off = p.throughput.off.find((t) => t.clients === clients)!;
    const rows = (t: Throughput) => median(t.runs.map((r) => r.batchRows));
    const p50 = (t: Throughput) =>
      `${quantile(
        t.runs.map((r) => r.clientMs),
        0.5,
      ).toFixed(0)} ms`;
    return `| ${clients} | ${on.runsPerSecond.toFixed(2)} | ${off.runsPerSecond.toFixed(2)} | ${(on.runsPerSecond / off.runsPerSecond).toFixed(2)} | ${rows(on).toFixed(0)} | ${p50(on)} | ${p50(off)} |`;
  });
  const chart = await renderChart(
    path.join(chartsDir, "platform-throughput.png"),
    "Platform throughput: small runs on the bundled model, closed-loop clients",
    seriesLines(
      (["on", "off"] as const).flatMap((policy) =>
        p.throughput[policy].map((t) => ({
          x: t.clients,
          y: t.runsPerSecond,
          series: policy === "on" ? "batching on" : "one request at a time",
        })),
      ),
      { x: "concurrent clients", y: "runs completed per second" },
    ),
  );
  const parts = Object.keys(p.throughput.on[0]?.cpu ?? {});
  const cpuRows = (["on", "off"] as const).flatMap((policy) =>
    p.throughput[policy].map((t) => {
      const total = Object.values(t.cpu).reduce((a, b) => a + b, 0);
      const perRun = (s: number) =>
        t.completed > 0 ? `${((1000 * s) / t.completed).toFixed(0)} ms` : "—";
      const forward =
        t.runs.reduce((a, r) => a + r.computeMs, 0) /
        Math.max(1, t.runs.length);
      return `| ${policy === "on" ? "batching on" : "one at a time"} | ${t.clients} | ${parts.map((part) => perRun(t.cpu[part] ?? 0)).join(" | ")} | ${perRun(total)} | ${forward.toFixed(0)} ms | ${(total / t.seconds).toFixed(2)} of ${m.cores} |`;
    }),
  );
  const at = (policy: BatchingPolicy, clients: number) =>
    p.throughput[policy].find((t) => t.clients === clients);
  const batchingVerdict = (() => {
    const lines: string[] = [];
    const one = [at("on", 1), at("off", 1)] as const;
    if (one[0] && one[1] && one[0].runsPerSecond < one[1].runsPerSecond)
      lines.push(
        `- **One client: batching on is slower** (${one[0].runsPerSecond.toFixed(2)} against ${one[1].runsPerSecond.toFixed(2)} runs/s; a run takes ${quantile(
          one[0].runs.map((r) => r.clientMs),
          0.5,
        ).toFixed(0)} ms against ${quantile(
          one[1].runs.map((r) => r.clientMs),
          0.5,
        ).toFixed(
          0,
        )} ms). Why: not the batching policy itself (there is no waiting window: a lone run starts at once either way); the difference is the batcher's own work per run, or this machine's noise between the two stacks.`,
      );
    for (const clients of clientsList.filter((c) => c > 1)) {
      const on = at("on", clients);
      const off = at("off", clients);
      if (!on || !off) continue;
      const total = Object.values(on.cpu).reduce((a, b) => a + b, 0);
      const forward = on.runs.reduce((a, r) => a + r.computeMs, 0) / 1000;
      lines.push(
        `- **${clients} clients: batching on gives ${(on.runsPerSecond / off.runsPerSecond).toFixed(2)}× the runs per second** (${on.runsPerSecond.toFixed(2)} against ${off.runsPerSecond.toFixed(2)}), with a median of ${median(on.runs.map((r) => r.batchRows)).toFixed(0)} rows per batch. Forward passes are ${((100 * forward) / Math.max(total, 1e-9)).toFixed(0)}% of the CPU spent on these runs; ${(total / on.seconds).toFixed(2)} of the machine's ${m.cores} cores were busy.`,
      );
    }
    return lines.join("\n");
  })();
  // Issue 19's targets, from the measurements above.
  const SERVER_PARTS = ["web app (API)", "worker", "Temporal", "PostgreSQL"];
  const orchestration = (t: Throughput | undefined) => {
    if (!t || t.completed === 0) return undefined;
    const server = SERVER_PARTS.reduce((n, part) => n + (t.cpu[part] ?? 0), 0);
    const forward =
      t.runs.reduce((a, r) => a + r.computeMs, 0) / Math.max(1, t.runs.length);
    return (1000 * server) / t.completed - forward;
  };
  const lone = p.latency.on["facts-gpt2"];
  const loneP50 = quantile(
    lone.map((r) => r.clientMs),
    0.5,
  );
  const loneForward = quantile(
    lone.map((r) => r.computeMs),
    0.5,
  );
  const hopNames = [
    ["record", "submit answered, run recorded (client → requested)"],
    ["claim", "claimed into a batch (requested → queued)"],
    ["start", "batch workflow started, run started (queued → started)"],
    [
      "execute",
      "executed and ended, forward pass included (started → finished)",
    ],
    [
      "deliver",
      "result in the script's hands (finished → end: long poll, download)",
    ],
  ] as const;
  const hopRows = hopNames.map(([key, label]) => {
    // Runs measured before the hops were recorded have none.
    const xs = lone
      .map((r) => (r.hops as TimedRun["hops"] | undefined)?.[key] ?? NaN)
      .filter((x) => Number.isFinite(x));
    return `| ${label} | ${xs.length ? `${quantile(xs, 0.5).toFixed(1)} ms` : "—"} | ${xs.length ? `${quantile(xs, 0.95).toFixed(1)} ms` : "—"} |`;
  });
  const on32 = at("on", 32);
  const off32 = at("off", 32);
  const verdict = (ok: boolean | undefined) =>
    ok === undefined ? "not measured" : ok ? "met" : "**missed**";
  const fmt = (ms: number | undefined) =>
    ms === undefined ? "—" : `${ms.toFixed(0)} ms`;
  const targetRows = [
    ...[1, 32].map((clients) => {
      const ms = orchestration(at("on", clients));
      return `| a small run's orchestration CPU, ${clients} client${clients > 1 ? "s" : ""} (web app, worker, Temporal, PostgreSQL; less its forward pass) | ≤ 60 ms | ${fmt(ms)} | ${verdict(ms === undefined ? undefined : ms <= 60)} |`;
    }),
    `| a lone small run's p50, batching on (bundled model, end to end) | ≤ its forward pass + 100 ms (${fmt(loneForward + 100)}) | ${fmt(loneP50)} | ${verdict(loneP50 <= loneForward + 100)} |`,
    `| 32 clients: batching on / one at a time (runs per second) | ≥ 3× | ${on32 && off32 ? `${(on32.runsPerSecond / off32.runsPerSecond).toFixed(2)}×` : "—"} | ${verdict(on32 && off32 ? on32.runsPerSecond >= 3 * off32.runsPerSecond : undefined)} |`,
    `| 32 clients, batching on: runs per second on this 2-core machine, clients included | ≥ 20 | ${on32 ? on32.runsPerSecond.toFixed(2) : "—"} | ${verdict(on32 ? on32.runsPerSecond >= 20 : undefined)} |`,
  ];
  const rss = (policy: BatchingPolicy) => {
    const b = p.workerPeakRssBytes[policy];
    return b === null ? "unknown" : mib(b);
  };
  return `## The platform: latency and throughput

A whole Loupe on this machine (PostgreSQL, Temporal, the worker hosting GPT-2
small and the bundled model, the built web app), brought up by the benchmark
from a fresh database, on loopback; clients are the SDK
(\`lm.run(graph, { remote: true, reuse: false })\`: every run computes, none is
served from cache). A **small run** is one prompt with its top-5 next-token
ids saved; throughput is measured on the bundled model (a text prompt, each
client's prompts different). Two worker policies, each on a stack of its own:

- **batching on** (Loupe's default): whenever the model's engine is free, the
  worker claims the model's requested runs from PostgreSQL (up to 32 rows,
  round-robin across users) and runs them as one batch, one Temporal
  workflow per batch; runs that arrive meanwhile form the next batch.
- **one request at a time**: the same build with LOUPE_BATCH_MAX_ROWS=1, so
  each batch is one run: the policy NDIF runs today (one request at a time
  per model replica).

**Latency of a small run**, on the bundled model (facts-gpt2, a text prompt)
and on GPT-2 small (12 token ids); one client, one run after another (after 3
untimed): end to end as the script waits (submit, follow with long polls,
download), and by the server's clock (requested to finished).

| model | policy | runs | end to end p50 | p95 | server p50 | p95 | worker compute p50 |
|---|---|---|---|---|---|---|---|
${latencyRow("on", "batching on", "facts-gpt2")}
${latencyRow("off", "one request at a time", "facts-gpt2")}
${latencyRow("on", "batching on", "gpt2-small")}
${latencyRow("off", "one request at a time", "gpt2-small")}

**A lone small run, hop by hop** (the bundled model, batching on; each hop's
p50 and p95 over the runs above, so the hops' p50s need not add up to the
end-to-end p50):

| hop | p50 | p95 |
|---|---|---|
${hopRows.join("\n")}

**Throughput**: N clients, each submitting a small run and waiting for its
result before the next (a closed loop); runs finished in a ${p.throughputSeconds} s window
after 5 s of warm-up. One window per cell is one sample: differences of a few
tenths of a run per second are within this machine's run-to-run noise.

| clients | batching on (runs/s) | one at a time (runs/s) | on / off | rows per forward pass (on, median) | p50 run, on | p50 run, off |
|---|---|---|---|---|---|---|
${throughputRows.join("\n")}

![Throughput against concurrent clients](${rel(chart)})

**Where the CPU goes**: CPU time (user + system, from /proc) of each part's
processes during the window, per completed run (each process counted once,
under the part that started it), and how many of the machine's ${m.cores} cores
were busy on average. Everything shares this one machine, clients included.

| policy | clients | ${parts.join(" | ")} | all | of which forward passes (their wall time) | cores busy |
|---|---|${parts.map(() => "---").join("|")}|---|---|---|
${cpuRows.join("\n")}

### Targets: what a run costs around its forward pass

A run's orchestration is the CPU of the server's processes (the web app, the
worker, Temporal, PostgreSQL; not the clients) per completed run, less the
run's share of its forward pass (its wall time, so a pass that used both
cores is undercounted and the orchestration overcounted by as much). The
baseline is the same build with LOUPE_BATCH_MAX_ROWS=1 and nothing else
changed.

| target (issue 19) | bound | measured | |
|---|---|---|---|
${targetRows.join("\n")}

### What batching buys here, and what it costs

${batchingVerdict}

What batching shares is each batch's cost: its claim, its workflow (a start
and one workflow task), its start and end transactions, its forward pass.
What it cannot share is each run's own: its HTTP requests to the web app
(submit, one long poll, the download), its rows in PostgreSQL, its client.
Where each millisecond goes, and how one workflow per batch compares with one
per run, is in docs/DESIGN.md ("Runs and batches").

Worker peak memory (resident set, GPT-2 small and the bundled model hosted): ${rss("on")} batching on, ${rss("off")} one at a time.
`;
}
