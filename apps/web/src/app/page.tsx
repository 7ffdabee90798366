import Link from "next/link";

export default function HomePage() {
  return (
    <section className="page">
      <h1>Loupe</h1>
      <p className="lede">
        Read, save, overwrite and steer the inputs and outputs of any module of
        a neural network. Interventions are graphs (data, not code) that run on
        your machine or on shared hosted models with the same API, and every
        graph and result is kept, versioned and forkable.
      </p>
      <p>
        The platform is coming together: see its{" "}
        <Link href="/health">live health</Link> and the{" "}
        <Link href="/events">event log</Link>.
      </p>
    </section>
  );
}
