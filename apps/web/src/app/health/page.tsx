import type { Metadata } from "next";
import { HealthBoard } from "@/components/health-board";
import { ProbeButton } from "@/components/probe-button";
import { getServerCaller } from "@/server/caller";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Health" };

export default async function HealthPage() {
  const initial = await (await getServerCaller()).system.health();
  return (
    <section className="page">
      <h1>Health</h1>
      <p className="muted">
        Live probes of every part of the platform, refreshed every two seconds.
      </p>
      <HealthBoard initial={initial} />
      <h2>Round trip</h2>
      <p className="muted">
        Sends a probe through every layer: this page calls the API, which starts
        a Temporal workflow, whose activity runs on a worker and appends an
        event to PostgreSQL.
      </p>
      <ProbeButton />
    </section>
  );
}
