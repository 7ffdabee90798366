#!/usr/bin/env python3
"""Find and verify, in PyTorch, the facts Loupe's examples rely on; write facts.json.

The PyTorch model is rebuilt from the weights stored in the committed model.onnx
(onnx_weights.model_from_onnx), so every fact is pinned to that file (its sha256
is recorded). Plain-logit facts are cross-checked with onnxruntime (model.onnx is
the export with a key/value cache; the past is fed empty: the plain forward pass).

  1. "The Louvre is located in the city of" -> " Paris" top-1, p >= 0.5
  2. activation patching (Code Example 4): block output[0] at the last subject
     token, Colosseum prompt -> Louvre prompt, Louvre prompt then predicts " Rome"
  3. neurons (Code Example 1): a few MLP neurons (input of transformer.h.L.mlp.c_proj)
     set to a value at all positions flip a fact prompt's top-1 prediction
  4. logit lens on "The Eiffel Tower is located in the city of"
  5. plain top-5 for "Hello World" (Code Example 3)

Run after export_onnx.py:  python find_facts.py
"""

from __future__ import annotations

import json
import sys

import numpy as np
import torch

from common import DATA, HERE, CKPT, evaluate, ort_feed, read_jsonl, setup_torch, sha256, versions
from common import load_tokenizer
from onnx_weights import model_from_onnx

BASE = "The Louvre is located in the city of"
BASE_SUBJECT = "The Louvre"
EDIT = "The Colosseum is located in the city of"
EDIT_SUBJECT = "The Colosseum"
LENS = "The Eiffel Tower is located in the city of"
HELLO = "Hello World"
NEURON_PROMPT = BASE
NEURON_VALUES = [5.0, 10.0]
MAX_NEURONS = 5

failures: list[str] = []


def check(ok: bool, what: str) -> None:
    print(("  ok  " if ok else "  FAIL ") + what)
    if not ok:
        failures.append(what)


def top(tok, logits: torch.Tensor, k: int = 5) -> list[dict]:
    probs = torch.softmax(logits.double(), -1)
    v = torch.topk(logits, k)
    return [{"id": int(i), "token": tok.decode([int(i)]), "logit": round(float(l), 6),
             "prob": round(float(probs[i]), 6)} for l, i in zip(v.values, v.indices)]


def ids_of(tok, text: str) -> list[int]:
    return tok.encode(text).ids


def last_subject_index(tok, prompt: str, subject: str) -> int:
    p, s = ids_of(tok, prompt), ids_of(tok, subject)
    assert p[:len(s)] == s, (prompt, subject)
    return len(s) - 1


@torch.no_grad()
def run(model, ids: list[int], hooks: list = ()) -> torch.Tensor:
    handles = [m.register_forward_hook(f) for m, f in hooks]
    try:
        t = torch.tensor([ids])
        return model(input_ids=t, attention_mask=torch.ones_like(t)).logits[0]
    finally:
        for h in handles:
            h.remove()


def token_info(tok, ids):
    return [{"index": i, "id": t, "token": tok.decode([t])} for i, t in enumerate(ids)]


# --------------------------------------------------------------------------- 2. patching


def patching(model, tok) -> dict:
    n_layer = model.config.n_layer
    base_ids, edit_ids = ids_of(tok, BASE), ids_of(tok, EDIT)
    pb = last_subject_index(tok, BASE, BASE_SUBJECT)
    pe = last_subject_index(tok, EDIT, EDIT_SUBJECT)
    rome, paris = ids_of(tok, " Rome")[0], ids_of(tok, " Paris")[0]
    before = run(model, base_ids)[-1]
    per_layer = []
    for L in range(n_layer):
        block = model.transformer.h[L]
        saved = {}

        def grab(_m, _i, out):
            saved["h"] = out[0][:, pe, :].clone()

        run(model, edit_ids, [(block, grab)])

        def put(_m, _i, out):
            out[0][:, pb, :] = saved["h"]  # in place, like NNsight's layer.output[0][:, i, :] = h
            return out

        after = run(model, base_ids, [(block, put)])[-1]
        pr = torch.softmax(after.double(), -1)
        per_layer.append({"layer": L, "top1": top(tok, after, 1)[0],
                          "p_rome": round(float(pr[rome]), 6), "p_paris": round(float(pr[paris]), 6)})
    works = [r["layer"] for r in per_layer if r["top1"]["id"] == rome]
    mid = (n_layer - 1) / 2
    chosen = min(works, key=lambda L: (abs(L - mid), L)) if works else None
    res = {
        "code_example": 4,
        "edit_prompt": EDIT, "base_prompt": BASE,
        "module": None if chosen is None else f"transformer.h.{chosen}",
        "layer": chosen,
        "what": "block output[0] (hidden states), one token position",
        "edit_position": pe, "base_position": pb,
        "edit_tokens": token_info(tok, edit_ids), "base_tokens": token_info(tok, base_ids),
        "positions_note": "0-based, in each prompt's own tokens (no BOS); the last token of the subject",
        "before": {"top1": top(tok, before, 1)[0], "top5": top(tok, before)},
        "after": None if chosen is None else {"top1": per_layer[chosen]["top1"],
                                               "top5": None},
        "layers_that_work": works,
        "per_layer": per_layer,
    }
    if chosen is not None:
        block = model.transformer.h[chosen]
        saved = {}
        run(model, edit_ids, [(block, lambda _m, _i, out: saved.__setitem__("h", out[0][:, pe, :].clone()))])

        def put(_m, _i, out):
            out[0][:, pb, :] = saved["h"]
            return out

        after = run(model, base_ids, [(block, put)])[-1]
        res["after"] = {"top1": top(tok, after, 1)[0], "top5": top(tok, after)}
    return res


# --------------------------------------------------------------------------- 3. neurons


def _set_neurons(proj, neurons, value):
    def hook(_m, inp):
        x = inp[0].clone()
        x[:, :, neurons] = value
        return (x,)

    return proj.register_forward_pre_hook(hook)


def _margin(logits: torch.Tensor, answer: int) -> float:
    other = logits.clone()
    other[answer] = -float("inf")
    return float(logits[answer] - other.max())


def _attribution_order(model, ids, answer: int, L: int, value: float) -> tuple[list[int], torch.Tensor]:
    """First-order (attribution patching) estimate of the change of log p(answer)
    when neuron n is set to `value` at every position:
    sum_pos grad[pos, n] * (value - act[pos, n]); most negative first."""
    t = torch.tensor([ids])
    proj = model.transformer.h[L].mlp.c_proj
    store = {}

    def pre(_m, inp):
        inp[0].retain_grad()
        store["a"] = inp[0]

    h = proj.register_forward_pre_hook(pre)
    try:
        logits = model(input_ids=t, attention_mask=torch.ones_like(t)).logits[0, -1]
        torch.log_softmax(logits, -1)[answer].backward()
    finally:
        h.remove()
        model.zero_grad(set_to_none=True)
    a, g = store["a"].detach()[0], store["a"].grad[0]
    est = (g * (value - a)).sum(0)
    return torch.argsort(est).tolist(), est


@torch.no_grad()
def _greedy_order(model, ids, answer: int, L: int, value: float) -> tuple[list[int], torch.Tensor]:
    """Greedy search by exact interventions: k times, try adding each remaining neuron
    (one batch row per neuron) to the neurons already chosen, all set to `value`, and
    keep the one giving the lowest margin logit(answer) - max other logit."""
    proj = model.transformer.h[L].mlp.c_proj
    n_inner = proj.weight.shape[0]
    idx = torch.arange(n_inner)
    chosen: list[int] = []
    margins = torch.zeros(n_inner)
    for _ in range(MAX_NEURONS):
        def hook(_m, inp):
            x = inp[0].clone()
            x[:, :, chosen] = value
            x[idx, :, idx] = value
            return (x,)

        h = proj.register_forward_pre_hook(hook)
        try:
            t = torch.tensor([ids]).repeat(n_inner, 1)
            logits = model(input_ids=t, attention_mask=torch.ones_like(t)).logits[:, -1]
        finally:
            h.remove()
        m = torch.tensor([_margin(logits[i], answer) for i in range(n_inner)])
        m[chosen] = float("inf")
        best = int(m.argmin())
        margins[best] = m[best]
        chosen.append(best)
    rest = [n for n in range(n_inner) if n not in chosen]
    return chosen + rest, margins


def neuron_search(model, tok) -> dict:
    """For every layer and value: rank the neurons (input of mlp.c_proj), then verify
    by intervention: the k = 1..5 best-ranked neurons are set to `value` at every
    position and the forward pass is rerun; the smallest k that changes the top-1
    token counts. Ranking 1: attribution patching (activation/gradient first-order
    estimate). Ranking 2, only where ranking 1 finds no flip: greedy search by exact
    interventions."""
    ids = ids_of(tok, NEURON_PROMPT)
    base_logits = run(model, ids)[-1]
    answer = int(base_logits.argmax())
    n_layer = model.config.n_layer
    searched = []
    for value in NEURON_VALUES:
        for L in range(n_layer):
            proj = model.transformer.h[L].mlp.c_proj
            entry = {"value": value, "layer": L, "flip": None}
            for method, ranker in (("attribution", _attribution_order), ("greedy", _greedy_order)):
                order, score = ranker(model, ids, answer, L, value)
                entry[f"{method}_top5"] = [{"neuron": n, "score": round(float(score[n]), 4)}
                                           for n in order[:MAX_NEURONS]]
                for k in range(1, MAX_NEURONS + 1):
                    neurons = order[:k]
                    hh = _set_neurons(proj, neurons, value)
                    try:
                        after = run(model, ids)[-1]
                    finally:
                        hh.remove()
                    if int(after.argmax()) != answer:
                        entry["flip"] = {"method": method, "k": k, "neurons": neurons,
                                         "after_top1": top(tok, after, 1)[0]}
                        break
                    entry.setdefault(f"{method}_margin_after_k", []).append(round(_margin(after, answer), 4))
                if entry["flip"]:
                    break
            searched.append(entry)
    mid = (n_layer - 1) / 2
    ok = [s for s in searched if s["flip"]]
    method_rank = {"attribution": 0, "greedy": 1}
    # a flip to another answer of the knowledge base (a city, country, language, ...)
    # changes the fact; a flip to a template word (" is") just breaks the sentence
    knowledge = json.loads((DATA / "knowledge.json").read_text(encoding="utf-8"))
    answer_ids = {ids_of(tok, " " + a)[0] for t in knowledge["relations"].values() for a in t.values()}
    for s in ok:
        s["flip"]["to_knowledge_answer"] = s["flip"]["after_top1"]["id"] in answer_ids
    best = min(ok, key=lambda s: (not s["flip"]["to_knowledge_answer"], NEURON_VALUES.index(s["value"]),
                                  method_rank[s["flip"]["method"]], s["flip"]["k"], abs(s["layer"] - mid),
                                  s["layer"])) if ok else None
    res = {
        "code_example": 1,
        "prompt": NEURON_PROMPT,
        "method": ("For every layer L and VALUE in " + str(NEURON_VALUES) + ", neurons of the input of "
                   "transformer.h.L.mlp.c_proj (MLP activations after gelu_new) are ranked, then the "
                   "k = 1..5 best-ranked are set to VALUE at every position by intervention and the "
                   "smallest k that changes the top-1 token is kept. Ranking 'attribution': gradient of "
                   "log p(top-1 answer) w.r.t. the activations, estimated effect sum over positions of "
                   "grad * (VALUE - activation) (attribution patching); ranking 'greedy' (used only where "
                   "attribution finds no flip with <= 5 neurons): greedy search by exact interventions, "
                   "each step adds the neuron that most lowers the margin logit(answer) - max other "
                   "logit given the neurons already chosen. Chosen: flips to another answer of the "
                   "knowledge base (city, country, language, ...) before flips to other tokens, then first VALUE, attribution before greedy, "
                   "fewest neurons, layer closest to the middle."),
        "before": {"top1": top(tok, base_logits, 1)[0], "top5": top(tok, base_logits),
                   "margin": round(_margin(base_logits, answer), 4)},
        "search": searched,
    }
    if best:
        L, value, neurons = best["layer"], best["value"], sorted(best["flip"]["neurons"])
        hh = _set_neurons(model.transformer.h[L].mlp.c_proj, neurons, value)
        try:
            after = run(model, ids)[-1]
        finally:
            hh.remove()
        res.update({
            "module": f"transformer.h.{L}.mlp.c_proj",
            "layer": L,
            "what": "input[0] of transformer.h.L.mlp.c_proj (after the activation), all positions",
            "neurons": neurons,
            "value": value,
            "found_by": best["flip"]["method"],
            "n_inner": model.config.n_inner or 4 * model.config.n_embd,
            "after": {"top1": top(tok, after, 1)[0], "top5": top(tok, after)},
        })
    return res


# --------------------------------------------------------------------------- 4. logit lens


def logit_lens(model, tok) -> dict:
    ids = ids_of(tok, LENS)
    hs = {}
    hooks = [(b, (lambda L: lambda _m, _i, out: hs.__setitem__(L, out[0][0, -1].clone()))(L))
             for L, b in enumerate(model.transformer.h)]
    final = run(model, ids, hooks)[-1]
    layers = []
    with torch.no_grad():
        for L in range(len(model.transformer.h)):
            logits = model.lm_head(model.transformer.ln_f(hs[L]))
            layers.append({"layer": L, "module": f"transformer.h.{L}", "top5": top(tok, logits)})
        emb = model.transformer.wte.weight[ids[-1]] + model.transformer.wpe.weight[len(ids) - 1]
        emb_top = top(tok, model.lm_head(model.transformer.ln_f(emb)))
    d = float((model.lm_head(model.transformer.ln_f(hs[len(hs) - 1])) - final).abs().max())
    return {
        "prompt": LENS,
        "tokens": token_info(tok, ids),
        "what": "top-5 of lm_head(transformer.ln_f(transformer.h.L output[0][:, -1]))",
        "layers": layers,
        "embeddings_top5": emb_top,
        "last_layer_equals_logits_max_abs_diff": d,
    }


# --------------------------------------------------------------------------- main


def ort_last_logits(path, ids: list[int]) -> np.ndarray:
    """Last-position logits from onnxruntime (model.onnx has a key/value cache: past fed empty)."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    a = np.array([ids], dtype=np.int64)
    feed = ort_feed(sess, a, np.ones_like(a), np.arange(len(ids), dtype=np.int64)[None])
    return sess.run(["logits"], feed)[0][0, -1]


def main() -> None:
    setup_torch()
    tok = load_tokenizer()
    onnx_path = HERE / "model.onnx"
    model = model_from_onnx(onnx_path)
    for p in model.parameters():
        p.requires_grad_(True)

    print("held-out accuracy (weights from model.onnx)")
    heldout = evaluate(model, tok, read_jsonl(DATA / "eval_heldout.jsonl"))
    in_dist = evaluate(model, tok, read_jsonl(DATA / "eval_train.jsonl"))
    check(heldout["accuracy"] >= 0.9, f"held-out accuracy {heldout['accuracy']:.4f} >= 0.9")

    print("1. Louvre")
    louvre = run(model, ids_of(tok, BASE))[-1]
    t1 = top(tok, louvre)
    check(t1[0]["token"] == " Paris" and t1[0]["prob"] >= 0.5, f"{BASE!r} -> {t1[0]}")
    examples = {}
    for p, a in [(BASE, " Paris"), (EDIT, " Rome"), (LENS, " Paris")]:
        lg = run(model, ids_of(tok, p))[-1]
        examples[p] = {"expected": a, "tokens": token_info(tok, ids_of(tok, p)), "top5": top(tok, lg)}
        check(examples[p]["top5"][0]["token"] == a, f"{p!r} top-1 {examples[p]['top5'][0]['token']!r}")

    print("2. activation patching")
    patch = patching(model, tok)
    check(patch["layer"] is not None, f"patching works at layers {patch['layers_that_work']}, chosen {patch['layer']}")
    for r in patch["per_layer"]:
        print(f"     layer {r['layer']}: {r['top1']['token']!r} p={r['top1']['prob']:.3f} "
              f"p(Rome)={r['p_rome']:.3f} p(Paris)={r['p_paris']:.3f}")

    print("3. neurons")
    neurons = neuron_search(model, tok)
    for s in neurons["search"]:
        print(f"     value {s['value']} layer {s['layer']}: "
              + (f"{s['flip']['method']} k={s['flip']['k']} {s['flip']['neurons']} -> "
                 f"{s['flip']['after_top1']['token']!r}" if s["flip"] else
                 f"no flip with <= 5 neurons (margins {s.get('attribution_margin_after_k')} / "
                 f"{s.get('greedy_margin_after_k')}; before {neurons['before']['margin']})"))
    check("neurons" in neurons, f"neurons: {neurons.get('module')} {neurons.get('neurons')} = "
          f"{neurons.get('value')} -> {neurons.get('after', {}).get('top1')}")

    print("4. logit lens")
    lens = logit_lens(model, tok)
    for l in lens["layers"]:
        print(f"     layer {l['layer']}: {[x['token'] for x in l['top5']]}")
    check(lens["last_layer_equals_logits_max_abs_diff"] < 1e-4, "logit lens of the last block equals the logits")

    print("5. Hello World")
    hello_ids = ids_of(tok, HELLO)
    hello = {"prompt": HELLO, "tokens": token_info(tok, hello_ids),
             "top5": top(tok, run(model, hello_ids)[-1])}
    print("    ", [x["token"] for x in hello["top5"]])

    # cross-check the plain-logit facts with onnxruntime on model.onnx
    ort_check = {}
    for p in [BASE, EDIT, LENS, HELLO]:
        ids = ids_of(tok, p)
        d = float(np.abs(ort_last_logits(onnx_path, ids) - run(model, ids)[-1].numpy()).max())
        ort_check[p] = d
        check(d < 1e-4, f"onnxruntime last-position logits of {p!r} within 1e-4 ({d:.2e})")

    train_log = {}
    if (CKPT / "train_log.json").exists():
        train_log = json.loads((CKPT / "train_log.json").read_text())["final"]
        train_log.pop("heldout_wrong", None)
    elif (HERE / "facts.json").exists():  # rerun without checkpoints: keep the recorded summary
        train_log = json.loads((HERE / "facts.json").read_text(encoding="utf-8")).get("training", {})
    facts = {
        "format": 1,
        "model": {"file": "model.onnx", "sha256": sha256(onnx_path), "bytes": onnx_path.stat().st_size,
                  "tokenizer": "tokenizer.json", "tokenizer_sha256": sha256(HERE / "tokenizer.json"),
                  "config": json.loads((HERE / "config.json").read_text()),
                  "parameters": sum(p.numel() for p in model.parameters())},
        "note": ("Computed in PyTorch (transformers GPT2LMHeadModel, eager attention) on the weights "
                 "read back from model.onnx; prompts encoded with tokenizer.json, no BOS; "
                 "positions are 0-based token indices; probabilities are softmax over the last "
                 "position's logits."),
        "evaluation": {
            "heldout_templates": {k: heldout[k] for k in ("accuracy", "correct", "total", "per_relation")},
            "heldout_errors": heldout["wrong"],
            "train_templates": {k: in_dist[k] for k in ("accuracy", "correct", "total", "per_relation")},
            "metric": "top-1 of the answer's first token (' ' + answer) at the last prompt position",
        },
        "training": train_log,
        "example_prompts": examples,
        "louvre": {"prompt": BASE, "top1": t1[0], "top5": t1},
        "activation_patching": patch,
        "neurons": neurons,
        "logit_lens": lens,
        "hello_world": hello,
        "onnxruntime_crosscheck_max_abs_diff": ort_check,
        "generator": {"scripts": ["generate_corpus.py", "train.py", "export_onnx.py", "find_facts.py"],
                      "versions": versions()},
    }
    (HERE / "facts.json").write_text(json.dumps(facts, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"facts.json written; model.onnx sha256 {facts['model']['sha256']}")
    if failures:
        print("FAILURES:", *failures, sep="\n  ")
        sys.exit(1)


if __name__ == "__main__":
    main()
