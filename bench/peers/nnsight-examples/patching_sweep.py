"""An activation-patching sweep in nnsight: for every layer and token position,
the clean prompt's hidden state written into the corrupted prompt, one invoke
each in one trace, and logit(" Rome") - logit(" Paris") of each patched run
(Loupe's: examples/patching-sweep.ts). A barrier per layer makes that layer's
patches wait for the clean invoke's read.

  <peers venv>/bin/python bench/peers/nnsight-examples/patching_sweep.py
"""

import json

import torch
from facts_model import dump, load_facts_model

lm = load_facts_model()
clean = "The Colosseum is located in the city of"
corrupted = "The Louvre is located in the city of"
rome, paris = lm.tokenizer.encode(" Rome")[0], lm.tokenizer.encode(" Paris")[0]
ids = lm.tokenizer.encode(corrupted)
layers = lm.transformer.h


def logit_diff():
    return lm.output.logits[0, -1, rome] - lm.output.logits[0, -1, paris]


diffs = []
with lm.trace() as tracer:
    barriers = [tracer.barrier(1 + len(ids)) for _ in layers]
    with tracer.invoke(clean):
        hidden = []
        for layer, barrier in zip(layers, barriers):
            hidden.append(layer.output)
            barrier()
        clean_diff = logit_diff().save()
    with tracer.invoke(corrupted):
        corrupted_diff = logit_diff().save()
    for l, layer in enumerate(layers):
        for p in range(len(ids)):
            with tracer.invoke(corrupted):
                barriers[l]()
                layer.output[:, p, :] = hidden[l][:, p, :]
                diffs.append(logit_diff().save())
sweep = torch.stack(diffs).reshape(len(layers), len(ids))

l, p = divmod(sweep.argmax().item(), len(ids))
token = json.dumps(lm.tokenizer.decode(ids[p]))
print(f'activation patching sweep: "{clean}" -> "{corrupted}"')
print(
    f'  logit(" Rome") - logit(" Paris"): clean {clean_diff:.3f}, corrupted {corrupted_diff:.3f}'
)
print(f"  strongest patch: layer {l}, position {p} ({token}): {sweep[l, p]:.3f}")
dump(sweep=sweep, clean=clean_diff, corrupted=corrupted_diff)
