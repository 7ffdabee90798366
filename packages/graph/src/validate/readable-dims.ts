/**
 * A message with the validator's per-invoke sequence symbols made readable:
 * `seq@t0.i1` (the sequence length of trace 0's invoke 1, known only once
 * its prompts are tokenized) reads as its length in tokens when that is known,
 * and as `seq` otherwise; a generating trace's `seq@t0.i1.step` (the length
 * fed at a step) as `seq`. Types keep the symbols: they tell invokes apart.
 */
export function readableDims(
  message: string,
  promptLengths: ReadonlyMap<string, number>,
): string {
  return message.replace(
    /seq@(t\d+\.i\d+)(\.step)?/g,
    (_, invoke: string, step: string | undefined) => {
      const length = step ? undefined : promptLengths.get(invoke);
      return length === undefined ? "seq" : String(length);
    },
  );
}
