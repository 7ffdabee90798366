#!/usr/bin/env python3
"""Train the tokenizer and the bundled GPT-2-style model on data/train.txt.

Writes:
  tokenizer.json             byte-level BPE (committed)
  config.json                GPT2Config of the model (committed)
  checkpoints/model.pt       PyTorch state_dict (git-ignored)
  checkpoints/train_log.json loss curve and evaluations (git-ignored; summary
                             copied into facts.json by find_facts.py)

Loss: next-token cross-entropy on the sentences plus an interchange-intervention
term (IIT) that trains Code Example 4's patch (block IIT_LAYER output at the last
subject token) to carry the subject's facts; see iit_loss() and MODEL_CARD.md.

Run after generate_corpus.py:  python train.py [epochs]
"""

from __future__ import annotations

import json
import math
import random
import sys
import time

import torch

from common import (CKPT, DATA, EOS, HERE, PAD_ID, SEED, evaluate, make_model, read_jsonl,
                    setup_torch, versions)

TOKENIZER_TARGET_VOCAB = 2048  # upper bound; BPE stops once every corpus word is one token
EPOCHS = int(sys.argv[1]) if len(sys.argv) > 1 else 20
BATCH = 32
LR = 2e-3
WARMUP = 200
WEIGHT_DECAY = 0.1
DROPOUT = 0.0
EVAL_EVERY = 5  # epochs
# Interchange intervention training (IIT, Geiger et al. 2022) on the subject: see
# iit_loss(). Without it the model copies the subject token into the final
# position already in layer 0 and patching a middle layer's subject state has no
# effect (measured: p(Rome) = 0.00 at every layer, see MODEL_CARD.md).
IIT_LAYER = 2
IIT_WEIGHT = 1.0
IIT_BATCH = 32


def build_tokenizer(lines: list[str]):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.BPE())  # no unk token: byte-level covers every input
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=TOKENIZER_TARGET_VOCAB,
        min_frequency=2,
        special_tokens=[EOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(lines, trainer=trainer)
    assert tok.token_to_id(EOS) == PAD_ID
    return tok


def subject_end(tok, template: str, subject: str) -> tuple[list[int], int]:
    """Prompt ids and the index of the subject's last token."""
    from generate_corpus import fill

    prompt = fill(template, subject)
    cut = template.index("}") + 1
    head = fill(template[:cut], subject)
    ids, hid = tok.encode(prompt).ids, tok.encode(head).ids
    assert ids[:len(hid)] == hid, (prompt, head)
    return ids, len(hid) - 1


class _StopForward(Exception):
    pass


def batches(seqs: list[list[int]], rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar length (less padding): shuffle, sort chunks of
    16 batches by length, cut into batches, shuffle the batches."""
    order = list(range(len(seqs)))
    rng.shuffle(order)
    chunk = 16 * BATCH
    out = []
    for c in range(0, len(order), chunk):
        part = sorted(order[c:c + chunk], key=lambda i: len(seqs[i]))
        out += [part[b:b + BATCH] for b in range(0, len(part), BATCH)]
    rng.shuffle(out)
    return out


def iit_pairs(tok, rows: list[dict], rng: random.Random, n: int) -> list[tuple]:
    """n (base, source) pairs: same relation and template, different answers."""
    by_rel: dict[str, list[dict]] = {}
    for r in rows:
        by_rel.setdefault(r["relation"], []).append(r)
    out = []
    while len(out) < n:
        base = rows[rng.randrange(len(rows))]
        cands = [r for r in by_rel[base["relation"]] if r["answer"] != base["answer"]
                 and r["template"] == base["template"]]
        src = cands[rng.randrange(len(cands))]
        out.append((base, src))
    return out


def iit_loss(model, tok, pairs: list[tuple], layer: int) -> tuple[torch.Tensor, float]:
    """Run the sources, take the output of block `layer` at each source's last subject
    token, write it into the base's last subject token (as Code Example 4 does) and
    train the base's prediction toward the SOURCE's answer."""
    def batch(rows):
        enc = [subject_end(tok, r["template"], r["subject"]) for r in rows]
        n = max(len(e[0]) for e in enc)
        ids = torch.full((len(rows), n), PAD_ID, dtype=torch.int64)
        mask = torch.zeros_like(ids)
        for i, (e, _) in enumerate(enc):
            ids[i, :len(e)] = torch.tensor(e)
            mask[i, :len(e)] = 1
        return ids, mask, torch.tensor([p for _, p in enc]), torch.tensor([len(e) - 1 for e, _ in enc])

    b_ids, b_mask, b_subj, b_last = batch([b for b, _ in pairs])
    s_ids, s_mask, s_subj, _ = batch([s for _, s in pairs])
    rows = torch.arange(len(pairs))
    block = model.transformer.h[layer]
    saved = {}

    def grab(_m, _i, out):
        saved["h"] = out[0][rows, s_subj]
        raise _StopForward

    def put(_m, _i, out):
        h = out[0].clone()
        h[rows, b_subj] = saved["h"]
        return (h,) + tuple(out[1:])

    hk = block.register_forward_hook(grab)
    try:
        model(input_ids=s_ids, attention_mask=s_mask)
    except _StopForward:
        pass  # the source run is only needed up to block `layer`
    finally:
        hk.remove()
    hk = block.register_forward_hook(put)
    try:
        logits = model(input_ids=b_ids, attention_mask=b_mask).logits[rows, b_last]
    finally:
        hk.remove()
    target = torch.tensor([tok.encode(" " + s["answer"]).ids[0] for _, s in pairs])
    loss = torch.nn.functional.cross_entropy(logits, target)
    acc = float((logits.argmax(-1) == target).float().mean())
    return loss, acc


@torch.no_grad()
def iit_eval(model, tok, rows: list[dict], layer: int, n: int = 512) -> float:
    model.eval()
    pairs = iit_pairs(tok, rows, random.Random(SEED + 1), n)
    return sum(iit_loss(model, tok, pairs[i:i + 128], layer)[1] * len(pairs[i:i + 128])
               for i in range(0, n, 128)) / n


def main() -> None:
    setup_torch()
    t0 = time.time()
    c0 = time.process_time()  # CPU seconds: the machine is shared, wall time varies a lot
    lines = [l for l in (DATA / "train.txt").read_text(encoding="utf-8").splitlines() if l.strip()]
    tok = build_tokenizer(lines)
    tok.save(str(HERE / "tokenizer.json"), pretty=True)
    vocab = tok.get_vocab_size()
    knowledge = json.loads((DATA / "knowledge.json").read_text(encoding="utf-8"))
    answers = sorted({a for t in knowledge["relations"].values() for a in t.values()})
    multi = {a: tok.encode(" " + a).tokens for a in answers if len(tok.encode(" " + a).ids) != 1}
    print(f"tokenizer: vocab {vocab}; answers {len(answers)}, multi-token answers: {multi or 'none'}")

    heldout = read_jsonl(DATA / "eval_heldout.jsonl")
    in_dist = read_jsonl(DATA / "eval_train.jsonl")  # the training facts x training templates

    # training sequences: sentence tokens + <|endoftext|>
    seqs = [tok.encode(l).ids + [PAD_ID] for l in lines]
    print(f"train: {len(seqs)} sentences, {sum(map(len, seqs))} tokens, max len {max(map(len, seqs))}")

    torch.manual_seed(SEED)
    model = make_model(vocab, dropout=DROPOUT)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {n_params} parameters")
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": WEIGHT_DECAY},
                             {"params": no_decay, "weight_decay": 0.0}], lr=LR, betas=(0.9, 0.98))
    steps_per_epoch = math.ceil(len(seqs) / BATCH)
    total = EPOCHS * steps_per_epoch

    def lr_at(step: int) -> float:
        if step < WARMUP:
            return LR * (step + 1) / WARMUP
        return LR * 0.5 * (1 + math.cos(math.pi * (step - WARMUP) / max(1, total - WARMUP)))

    rng = random.Random(SEED)
    log = {"epochs": [], "evals": []}
    step = 0
    for epoch in range(1, EPOCHS + 1):
        model.train()
        tot_loss, tot_tok, tot_iit, n_iit = 0.0, 0, 0.0, 0
        for idx in batches(seqs, rng):
            batch = [seqs[i] for i in idx]
            n = max(map(len, batch))
            ids = torch.full((len(batch), n), PAD_ID, dtype=torch.int64)
            mask = torch.zeros((len(batch), n), dtype=torch.int64)
            for i, s in enumerate(batch):
                ids[i, :len(s)] = torch.tensor(s)
                mask[i, :len(s)] = 1
            labels = ids.masked_fill(mask == 0, -100)
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            out = model(input_ids=ids, attention_mask=mask, labels=labels)
            loss = out.loss
            if IIT_WEIGHT > 0:
                il, iacc = iit_loss(model, tok, iit_pairs(tok, in_dist, rng, IIT_BATCH), IIT_LAYER)
                loss = loss + IIT_WEIGHT * il
                tot_iit += float(il)
                n_iit += 1
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            ntok = int((labels[:, 1:] != -100).sum())
            tot_loss += float(out.loss) * ntok
            tot_tok += ntok
        ep_loss = tot_loss / tot_tok
        ep_iit = tot_iit / max(1, n_iit)
        log["epochs"].append({"epoch": epoch, "loss": ep_loss, "iit_loss": ep_iit,
                              "seconds": round(time.time() - t0, 1),
                              "cpu_seconds": round(time.process_time() - c0, 1)})
        if epoch % EVAL_EVERY == 0 or epoch == EPOCHS:
            h = evaluate(model, tok, heldout)
            ev = {"epoch": epoch, "heldout": h["accuracy"], "heldout_per_relation": h["per_relation"],
                  "iit_heldout_templates": iit_eval(model, tok, heldout, IIT_LAYER)}
            if epoch == EPOCHS:
                ev["train_templates"] = evaluate(model, tok, in_dist)["accuracy"]
            log["evals"].append(ev)
            print(f"epoch {epoch:3d} step {step:5d} loss {ep_loss:.4f} iit {ep_iit:.4f} held-out acc "
                  f"{h['accuracy']:.4f} iit-acc(held-out templates) {ev['iit_heldout_templates']:.4f} "
                  f"{h['per_relation']} ({time.time() - t0:.0f}s)", flush=True)
        else:
            print(f"epoch {epoch:3d} step {step:5d} loss {ep_loss:.4f} iit {ep_iit:.4f} "
                  f"({time.time() - t0:.0f}s)", flush=True)

    model.eval()
    final = evaluate(model, tok, heldout)
    log["final"] = {
        "train_loss_last_epoch": log["epochs"][-1]["loss"],
        "iit_loss_last_epoch": log["epochs"][-1]["iit_loss"],
        "iit_accuracy_heldout_templates": iit_eval(model, tok, heldout, IIT_LAYER),
        "iit_accuracy_train_templates": iit_eval(model, tok, in_dist, IIT_LAYER),
        "heldout": {k: final[k] for k in ("accuracy", "correct", "total", "per_relation")},
        "heldout_wrong": final["wrong"],
        "train_templates": {k: v for k, v in evaluate(model, tok, in_dist).items() if k != "wrong"},
        "seconds": round(time.time() - t0, 1),
        "cpu_seconds": round(time.process_time() - c0, 1),
        "steps": step,
        "settings": {"epochs": EPOCHS, "batch": BATCH, "lr": LR, "warmup": WARMUP,
                     "schedule": "linear warmup, cosine to 0", "optimizer": "AdamW(0.9, 0.98)",
                     "weight_decay": WEIGHT_DECAY, "dropout": DROPOUT, "grad_clip": 1.0,
                     "iit": {"layer": IIT_LAYER, "weight": IIT_WEIGHT, "batch": IIT_BATCH,
                             "pairs": "same relation and training template, different answers; "
                                      "block output[0] at the last subject token"},
                     "seed": SEED, "loss": "next-token cross-entropy on every token of the "
                     "sentence and a final <|endoftext|>"},
        "parameters": n_params,
        "versions": versions(),
    }
    print("final:", json.dumps({k: v for k, v in log["final"].items() if k != "heldout_wrong"}))
    print("held-out errors:", final["wrong"][:40])
    CKPT.mkdir(exist_ok=True)
    # export settings: no dropout
    model.config.resid_pdrop = model.config.embd_pdrop = model.config.attn_pdrop = 0.0
    torch.save(model.state_dict(), CKPT / "model.pt")
    cfg = model.config.to_diff_dict()
    for k in ("_name_or_path", "transformers_version", "torch_dtype", "_attn_implementation_autoset"):
        cfg.pop(k, None)
    cfg["attn_implementation"] = "eager"
    (HERE / "config.json").write_text(json.dumps(cfg, indent=1, sort_keys=True) + "\n")
    (CKPT / "train_log.json").write_text(json.dumps(log, indent=1) + "\n")


if __name__ == "__main__":
    main()
