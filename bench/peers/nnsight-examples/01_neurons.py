"""Code Example 1 in nnsight: four MLP neurons of layer 1 set to 10, and the
answer turns from Paris to France (Loupe's: examples/01-neurons.ts).

  <peers venv>/bin/python bench/peers/nnsight-examples/01_neurons.py
"""

from facts_model import dump, load_facts_model, show_next

lm = load_facts_model()
prompt = "The Louvre is located in the city of"

with lm.trace(prompt):
    before = lm.output.logits.save()
with lm.trace(prompt):
    lm.transformer.h[1].mlp.c_proj.input[:, :, [89, 349, 422, 458]] = 10
    after = lm.output.logits.save()

print("transformer.h.1.mlp.c_proj.input[:, :, [89, 349, 422, 458]] = 10")
print(f'  "{prompt}" ->')
print(f"  before: {show_next(before, lm.tokenizer)}")
print(f"  after:  {show_next(after, lm.tokenizer)}")
dump(before=before, after=after)
