/**
 * Wall seconds of each of `rounds` calls of `call`, one after another: what a
 * contender reports per task, after its untimed warm-up call. Only the call is
 * inside the timed span; pass the run itself (`() => engine.run(graph)`, whose
 * promise is awaited as it is), not a wrapper that does more work.
 */
export async function timeRounds(
  rounds: number,
  call: () => Promise<unknown>,
): Promise<number[]> {
  const seconds: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const started = performance.now();
    await call();
    seconds.push((performance.now() - started) / 1000);
  }
  return seconds;
}
