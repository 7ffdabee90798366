import Link from "next/link";
import { getServerCaller } from "@/server/caller";
import { ExperimentCard } from "@/components/experiments/experiment-card";

export const dynamic = "force-dynamic";

export default async function HomePage() {
  const caller = await getServerCaller();
  const [starred, models] = await Promise.all([
    caller.experiments.gallery({ sort: "stars", limit: 6 }),
    caller.models.list(),
  ]);
  return (
    <section className="page">
      <h1>Loupe</h1>
      <p className="lede">
        Read, save, overwrite and steer the inputs and outputs of any module of
        a neural network. Interventions are graphs (data, not code) that run on
        your machine or on shared hosted models with the same API, batched with
        other researchers&apos; graphs into one forward pass. Every graph and
        result is kept, versioned and forkable.
      </p>
      <ol className="steps">
        <li>
          <Link href="/signup">Sign up</Link> and{" "}
          <Link href="/apply">apply for access</Link> to hosted models.
        </li>
        <li>
          Create an <Link href="/keys">API key</Link> and run a script with the
          SDK: <code>npx loupe run examples/patching-sweep.ts --remote</code>.
        </li>
        <li>
          See the run and its results under <Link href="/runs">Runs</Link>;
          share it as an experiment people can fork.
        </li>
      </ol>
      <h2>Most starred</h2>
      {starred.items.length === 0 ? (
        <p className="muted">The gallery is empty so far.</p>
      ) : (
        <ul className="cards">
          {starred.items.map((e) => (
            <ExperimentCard key={e.id} e={e} />
          ))}
        </ul>
      )}
      <p>
        <Link href="/gallery">The whole gallery</Link> · {models.length} hosted
        model{models.length === 1 ? "" : "s"} (
        <Link href="/models">models</Link>) ·{" "}
        <Link href="/health">platform health</Link>
      </p>
    </section>
  );
}
