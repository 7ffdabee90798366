"""Code Example 4 in nnsight: activation patching. Two invokes share one
forward pass: the first reads the hidden state of " Colosseum" at layer 2, the
second writes it over " Louvre", and the model answers Rome instead of Paris
(Loupe's: examples/04-activation-patching.ts). From transformers 5 a GPT-2
block's output is its hidden state itself, no longer a tuple; the barrier
makes the second invoke wait for the first's read.

  <peers venv>/bin/python bench/peers/nnsight-examples/04_activation_patching.py
"""

from facts_model import dump, load_facts_model, show_next

lm = load_facts_model()
edit = "The Colosseum is located in the city of"
base = "The Louvre is located in the city of"
layer = lm.transformer.h[2]

with lm.trace(base):
    before = lm.output.logits.save()
with lm.trace() as tracer:
    barrier = tracer.barrier(2)
    with tracer.invoke(edit):
        hidden = layer.output[:, 1, :]
        barrier()
    with tracer.invoke(base):
        barrier()
        layer.output[:, 1, :] = hidden
        after = lm.output.logits.save()

print("activation patching at transformer.h.2, token 1")
print(f'  "{edit}" -> "{base}"')
print(f"  before: {show_next(before, lm.tokenizer)}")
print(f"  after:  {show_next(after, lm.tokenizer)}")
dump(before=before, after=after)
