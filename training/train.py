"""Trains a passage classifier on the windows that training/prepare.ts wrote and exports it to ONNX.

The model scores one window of token ids; a document's score is the max over its windows, and it is
trained that way (multiple-instance learning: the loss sees the max of each group's window logits).

    python3 training/train.py --build training/build --arch cnn --out training/build/model.onnx

Deterministic: seeded, fixed thread count, no data-dependent parallelism.
"""
import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

LABELS = ["misalignment", "deception", "power_seeking", "self_preservation", "reward_hacking", "hostility", "aligned"]
NEG = -1e4  # masked positions: far below any real activation, but finite so ONNX/WebGPU never see inf - inf


def masked_max(x, mask):
    """x [B, S, H], mask [B, S] (float 0/1) -> [B, H]."""
    return (x + (1.0 - mask).unsqueeze(-1) * NEG).max(dim=1).values


def masked_mean(x, mask):
    m = mask.unsqueeze(-1)
    return (x * m).sum(dim=1) / m.sum(dim=1).clamp(min=1.0)


class Bag(nn.Module):
    """fastText-style: mean and max of the word vectors, then a small MLP. Sees no word order."""

    def __init__(self, emb, hidden=256, pools=2, **_):
        super().__init__()
        self.emb = nn.Embedding.from_pretrained(emb, freeze=False, padding_idx=0)
        d = emb.shape[1]
        self.mlp = nn.Sequential(nn.Linear(pools * d, hidden), nn.ReLU(), nn.Dropout(0.3))
        self.head = nn.Linear(hidden, len(LABELS))

    def forward(self, ids, mask):
        x = self.emb(ids)
        return self.head(self.mlp(torch.cat([masked_mean(x, mask), masked_max(x, mask)], dim=-1)))


class BagLocal(Bag):
    """The bag, plus the max over the window of local means of up to 16 words (fewer at the window's
    end): a misaligned sentence inside a long benign window still stands out there, where the window's
    mean dilutes it. Still no word order. Tried as first stage, not shipped (see the model card)."""

    def __init__(self, emb, hidden=256, width=16, **_):
        super().__init__(emb, hidden, pools=3)
        self.width = width

    def forward(self, ids, mask):
        x = self.emb(ids)
        m = mask.unsqueeze(1)  # [B, 1, S]
        # Constant right padding (width - 1), so every position starts a window and the graph has no
        # shape-dependent padding; counts of real tokens make each local mean ignore the padding.
        xs = F.pad(x.transpose(1, 2) * m, (0, self.width - 1))
        cnt = F.pad(m, (0, self.width - 1))
        local = F.avg_pool1d(xs, self.width, stride=1) / F.avg_pool1d(cnt, self.width, stride=1).clamp(min=1.0 / self.width)
        valid = F.avg_pool1d(cnt, self.width, stride=1) > 0.5 / self.width  # windows holding a real token
        local_max = (local + (~valid).float() * NEG).max(dim=2).values
        return self.head(self.mlp(torch.cat([masked_mean(x, mask), masked_max(x, mask), local_max], dim=-1)))


class Cnn(nn.Module):
    """Convolutions of width 2, 3 and 5 over the word vectors (who does what to whom lives in short
    spans), max-pooled and attention-pooled over the window."""

    def __init__(self, emb, channels=192, dropout=0.3):
        super().__init__()
        self.emb = nn.Embedding.from_pretrained(emb, freeze=False, padding_idx=0)
        d = emb.shape[1]
        self.convs = nn.ModuleList([nn.Conv1d(d, channels, k, padding=k // 2) for k in (2, 3, 5)])
        h = channels * 3
        self.att = nn.Linear(h, 1)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(2 * h, len(LABELS))

    def forward(self, ids, mask):
        x = self.emb(ids).transpose(1, 2)  # [B, D, S]
        s = ids.shape[1]
        feats = torch.cat([F.relu(c(x))[:, :, :s] for c in self.convs], dim=1).transpose(1, 2)  # [B, S, H]
        mx = masked_max(feats, mask)
        a = self.att(feats).squeeze(-1) + (1.0 - mask) * NEG
        w = torch.softmax(a, dim=1).unsqueeze(-1)
        att = (feats * w).sum(dim=1)
        return self.head(self.drop(torch.cat([mx, att], dim=-1)))


class CnnWide(Cnn):
    """The CNN plus a second, dilated convolution over a narrow projection of its features: each
    position then sees ~13 words, enough to link an agent to what "it" did a clause later."""

    def __init__(self, emb, channels=192, dropout=0.3, second=128):
        super().__init__(emb, channels, dropout)
        h = channels * 3
        self.reduce = nn.Conv1d(h, second, 1)
        self.conv2 = nn.Conv1d(second, second, 3, padding=2, dilation=2)
        self.att = nn.Linear(h + second, 1)
        self.head = nn.Linear(2 * (h + second), len(LABELS))

    def forward(self, ids, mask):
        x = self.emb(ids).transpose(1, 2)
        s = ids.shape[1]
        f1 = torch.cat([F.relu(c(x))[:, :, :s] for c in self.convs], dim=1)  # [B, H, S]
        f2 = F.relu(self.conv2(F.relu(self.reduce(f1))))[:, :, :s]
        feats = torch.cat([f1, f2], dim=1).transpose(1, 2)
        mx = masked_max(feats, mask)
        a = self.att(feats).squeeze(-1) + (1.0 - mask) * NEG
        w = torch.softmax(a, dim=1).unsqueeze(-1)
        att = (feats * w).sum(dim=1)
        return self.head(self.drop(torch.cat([mx, att], dim=-1)))


class Transformer(nn.Module):
    """A 2-layer transformer encoder over GloVe-initialised embeddings, max and mean pooled."""

    def __init__(self, emb, d_model=128, layers=2, heads=4, max_len=512, **_):
        super().__init__()
        self.emb = nn.Embedding.from_pretrained(emb, freeze=False, padding_idx=0)
        self.proj = nn.Linear(emb.shape[1], d_model)
        self.pos = nn.Parameter(torch.zeros(max_len, d_model))
        nn.init.normal_(self.pos, std=0.02)
        layer = nn.TransformerEncoderLayer(d_model, heads, dim_feedforward=2 * d_model, dropout=0.1, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, layers)
        self.drop = nn.Dropout(0.2)
        self.head = nn.Linear(2 * d_model, len(LABELS))

    def forward(self, ids, mask):
        s = ids.shape[1]
        x = self.proj(self.emb(ids)) + self.pos[:s]
        # Additive float mask instead of a bool key-padding mask: exports to plain ONNX ops.
        x = self.enc(x, src_key_padding_mask=(1.0 - mask) * NEG)
        return self.head(self.drop(torch.cat([masked_max(x, mask), masked_mean(x, mask)], dim=-1)))


ARCHS = {"bag": Bag, "bag-local": BagLocal, "cnn": Cnn, "cnn-wide": CnnWide, "transformer": Transformer}


class Ensemble(nn.Module):
    """The mean of several models' logits (each member chose its own best epoch); one ONNX graph."""

    def __init__(self, members):
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, ids, mask):
        return torch.stack([m(ids, mask) for m in self.members]).mean(dim=0)


class Calibrated(nn.Module):
    """Wraps a model with per-label Platt scaling fitted on dev, so exported logits are calibrated."""

    def __init__(self, model, scale, bias):
        super().__init__()
        self.model = model
        self.register_buffer("scale", torch.tensor(scale, dtype=torch.float32))
        self.register_buffer("bias", torch.tensor(bias, dtype=torch.float32))

    def forward(self, input_ids, attention_mask):
        return self.model(input_ids, attention_mask.to(torch.float32)) * self.scale + self.bias


def batches(groups, size, shuffle, rnd, limit=0):
    """Batches of `groups`, shuffled by `rnd`; with `limit`, only the first `limit` of this epoch's
    shuffled order (a different subset each epoch)."""
    order = list(range(len(groups)))
    if shuffle:
        rnd.shuffle(order)
    if limit:
        order = order[:limit]
    for i in range(0, len(order), size):
        yield [groups[j] for j in order[i:i + size]]


def collate(batch, max_windows=None):
    windows, owner, targets, weights = [], [], [], []
    for g_i, g in enumerate(batch):
        ws = g["windows"] if max_windows is None else g["windows"][:max_windows]
        for w in ws:
            windows.append(w)
            owner.append(g_i)
        targets.append(g["target"])
        weights.append(g.get("weight", 1.0))
    s = max(len(w) for w in windows)
    ids = torch.zeros((len(windows), s), dtype=torch.long)
    mask = torch.zeros((len(windows), s), dtype=torch.float32)
    for i, w in enumerate(windows):
        ids[i, :len(w)] = torch.tensor(w, dtype=torch.long)
        mask[i, :len(w)] = 1.0
    return ids, mask, torch.tensor(owner), torch.tensor(targets, dtype=torch.float32), torch.tensor(weights, dtype=torch.float32)


def group_logits(model, ids, mask, owner, n_groups):
    logits = model(ids, mask)
    out = torch.full((n_groups, logits.shape[1]), NEG, dtype=logits.dtype, device=logits.device)
    return out.scatter_reduce(0, owner.unsqueeze(1).expand_as(logits), logits, reduce="amax", include_self=True)


CPU = torch.device("cpu")


@torch.no_grad()
def predict(model, groups, size=64, device=CPU):
    model.eval()
    outs = []
    for b in batches(groups, size, False, None):
        ids, mask, owner, _, _ = (t.to(device) for t in collate(b))
        outs.append(group_logits(model, ids, mask, owner, len(b)).cpu())
    return torch.cat(outs).numpy() if outs else np.zeros((0, len(LABELS)))


def auroc(y, s):
    y = np.asarray(y); s = np.asarray(s)
    pos = y == 1; n_pos = pos.sum(); n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s)); ranks[order] = np.arange(1, len(s) + 1)
    # average ranks of ties
    _, inv, counts = np.unique(s, return_inverse=True, return_counts=True)
    sums = np.zeros(len(counts)); np.add.at(sums, inv, ranks)
    ranks = sums[inv] / counts[inv]
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def summary(logits, groups):
    y = np.array([g["target"] for g in groups])
    res = {l: auroc(y[:, i], logits[:, i]) for i, l in enumerate(LABELS)}
    cats = [res[l] for l in LABELS[1:6] if not math.isnan(res[l])]
    res["behaviour_macro"] = float(np.mean(cats)) if cats else float("nan")
    return res


def fit_platt(logits, y, weights=None, steps=300):
    """Per-label a*x+b minimising log loss on dev (a kept positive so ranking never flips)."""
    scale, bias = [], []
    for k in range(logits.shape[1]):
        x = torch.tensor(logits[:, k], dtype=torch.float64)
        t = torch.tensor(y[:, k], dtype=torch.float64)
        if t.sum() == 0 or t.sum() == len(t):
            scale.append(1.0); bias.append(0.0); continue
        la = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.LBFGS([la, b], max_iter=steps)

        def closure():
            opt.zero_grad()
            loss = F.binary_cross_entropy_with_logits(x * la.exp() + b, t) + 1e-3 * (la ** 2).sum()
            loss.backward()
            return loss
        opt.step(closure)
        a_k, b_k = float(la.exp()), float(b)
        # LBFGS can diverge on a weak model's logits (seen on the CI slice): keep the raw logits then.
        if not (math.isfinite(a_k) and math.isfinite(b_k)):
            a_k, b_k = 1.0, 0.0
        scale.append(a_k); bias.append(b_k)
    return scale, bias


def fit(args, arch, emb, train, dev, seed, shared_emb=None, device=CPU):
    """Trains one model on `device` (training/sweep/ uses a GPU; npm run train the CPU); keeps the
    epoch with the best dev score. Returns (model, history).
    With `shared_emb` (an ensemble's later members) the model uses that embedding table, frozen:
    the exported graph then holds one table, which is most of the model's size."""
    torch.manual_seed(seed); random.seed(seed); np.random.seed(seed)
    kwargs = {k: v for k, v in {"dropout": args.dropout, "channels": args.channels}.items() if v is not None}
    model = ARCHS[arch](emb, **kwargs)
    if shared_emb is not None:
        model.emb = shared_emb
    if args.freeze_emb or shared_emb is not None:
        model.emb.weight.requires_grad_(False)
    model.to(device)
    emb_params = [p for p in model.emb.parameters() if p.requires_grad]
    other = [p for n, p in model.named_parameters() if not n.startswith("emb.")]
    groups = [{"params": other, "lr": args.lr}] + ([{"params": emb_params, "lr": args.lr * args.emb_lr_scale}] if emb_params else [])
    opt = torch.optim.AdamW(groups, weight_decay=1e-4)
    y_train = np.array([g["target"] for g in train])
    pos = y_train.mean(axis=0).clip(0.01, 0.99)
    # Rare labels (reward_hacking, hostility) get more weight on their positives, capped so they don't dominate.
    pos_weight = torch.tensor(np.minimum((1 - pos) / pos, 6.0), dtype=torch.float32, device=device)
    per_epoch = min(len(train), args.epoch_groups) if args.epoch_groups else len(train)
    steps_total = args.epochs * math.ceil(per_epoch / args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[g["lr"] for g in groups], total_steps=steps_total, pct_start=0.1)
    rnd = random.Random(seed)
    best, best_state, history = -1.0, None, []
    started = time.time()
    for epoch in range(args.epochs):
        model.train()
        total = 0.0
        for b in batches(train, args.batch, True, rnd, per_epoch):
            ids, mask, owner, targets, weights = (t.to(device) for t in collate(b, max_windows=8))
            if args.word_dropout > 0:
                drop = (torch.rand(ids.shape, device=device) < args.word_dropout) & (ids > 1)
                ids = ids.masked_fill(drop, 1)  # 1 = [UNK]
            logits = group_logits(model, ids, mask, owner, len(b))
            loss = (F.binary_cross_entropy_with_logits(logits, targets, pos_weight=pos_weight, reduction="none").mean(dim=1) * weights).sum() / weights.sum()
            opt.zero_grad(); loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step(); sched.step()
            total += float(loss) * len(b)
        dev_res = summary(predict(model, dev, device=device), dev) if dev else {"misalignment": float("nan")}
        key = np.nanmean([dev_res["misalignment"], dev_res.get("behaviour_macro", float("nan")), dev_res.get("aligned", float("nan"))]) if dev else epoch
        history.append({"epoch": epoch + 1, "loss": total / per_epoch, "dev": dev_res, "seconds": round(time.time() - started, 1)})
        print(json.dumps(history[-1]), file=sys.stderr, flush=True)
        if not (key <= best):
            best = key
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        if (time.time() - started) / 60 > args.max_minutes:
            print(f"stopping early: {args.max_minutes} minute budget reached", file=sys.stderr)
            break
    model.load_state_dict(best_state)
    model.eval()
    return model, history


def project(emb, dim):
    """PCA of the word vectors (row 0, [PAD], stays zero): keeps most of their geometry in a table a
    fraction of the size."""
    centred = emb[1:] - emb[1:].mean(dim=0, keepdim=True)
    _, _, v = torch.linalg.svd(centred, full_matrices=False)
    return torch.cat([torch.zeros(1, dim), centred @ v[:dim].T])


def non_negative_int(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="training/build")
    ap.add_argument("--arch", default="cnn", help=f"one of {sorted(ARCHS)}, or several joined by + for an ensemble (e.g. cnn+cnn-wide)")
    ap.add_argument("--out", default=None)
    ap.add_argument("--epochs", type=int, default=7)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--limit", type=int, default=0, help="train on only this many groups (CI smoke test)")
    ap.add_argument("--epoch-groups", type=non_negative_int, default=0, help="train each epoch on this many groups (documents), drawn afresh each epoch by the seeded shuffle; 0 = all. Keeps the run's length fixed as the corpus grows")
    ap.add_argument("--max-minutes", type=float, default=20.0, help="stop a model (each ensemble member) after the epoch that passes this")
    ap.add_argument("--metrics", default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--freeze-emb", action="store_true", help="keep the GloVe vectors fixed")
    ap.add_argument("--dropout", type=float, default=None)
    ap.add_argument("--channels", type=int, default=None)
    ap.add_argument("--word-dropout", type=float, default=0.0, help="replace this share of training tokens with [UNK]")
    ap.add_argument("--emb-lr-scale", type=float, default=0.1, help="learning rate of the word vectors, relative to the rest (small: GloVe moves little)")
    ap.add_argument("--first-stage-plain", type=float, default=0.0, metavar="WEIGHT", help="also train on the ordinary text prepare.ts set aside (first-stage-plain.jsonl), each passage with this weight")
    ap.add_argument("--emb-dim", type=int, default=0, help="project the GloVe vectors to this many dimensions (PCA) for a smaller model")
    args = ap.parse_args()

    torch.manual_seed(args.seed); random.seed(args.seed); np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    data = json.load(open(os.path.join(args.build, "windows.json")))
    emb = torch.from_numpy(np.fromfile(os.path.join(args.build, "embeddings.f32"), dtype=np.float32).reshape(data["vocab_size"], data["dim"]).copy())
    if args.emb_dim and args.emb_dim < emb.shape[1]:
        emb = project(emb, args.emb_dim)
    train, dev, val = data["train"], data["dev"], data["val"]
    if args.limit:
        train = random.Random(args.seed).sample(train, min(args.limit, len(train)))
    if args.first_stage_plain:
        # The first stage sees every passage of a shard, most of it text about anything but AI: it
        # learns what that looks like here, so the gate can pass little of it to the main model. The
        # main model trains on it too since round 10 (with free word vectors it helped; see the card).
        train = train + [dict(g, weight=args.first_stage_plain) for g in data.get("first_stage_plain", [])[: args.limit or None]]
    started = time.time()
    members, history = [], []
    for i, arch in enumerate(args.arch.split("+")):
        model, h = fit(args, arch, emb, train, dev, args.seed + i, shared_emb=members[0].emb if members else None)
        members.append(model); history.append(h)
    model = members[0] if len(members) == 1 else Ensemble(members).eval()
    history = history[0] if len(history) == 1 else history
    dev_logits = predict(model, dev)
    if len(dev) >= 40:
        scale, bias = fit_platt(dev_logits, np.array([g["target"] for g in dev]))
    else:
        scale, bias = [1.0] * len(LABELS), [0.0] * len(LABELS)
    final = Calibrated(model, scale, bias).eval()
    val_logits = predict(final, val)
    val_res = summary(val_logits, val)
    report = {"arch": args.arch, "params": sum(p.numel() for p in model.parameters()), "train_groups": len(train), "history": history,
              "platt": {"scale": scale, "bias": bias}, "val_auroc": val_res, "train_seconds": round(time.time() - started, 1)}
    print(json.dumps({"arch": args.arch, "val_auroc": val_res}), file=sys.stderr)
    if args.metrics:
        json.dump(report, open(args.metrics, "w"), indent=1)
    if args.out:
        export(final, args.out)
        if len(members) > 1:
            # Each member alone, calibrated on dev too: the model card compares them with the ensemble.
            for i, member in enumerate(members):
                m_scale, m_bias = fit_platt(predict(member, dev), np.array([g["target"] for g in dev]))
                export(Calibrated(member, m_scale, m_bias).eval(), args.out.replace(".onnx", f".member{i}.onnx"))


def export(model, path):
    ids = torch.ones((2, 16), dtype=torch.long)
    mask = torch.ones((2, 16), dtype=torch.long)
    torch.onnx.export(model, (ids, mask), path, input_names=["input_ids", "attention_mask"], output_names=["logits"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"}, "logits": {0: "batch"}},
                      opset_version=14, do_constant_folding=True)
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
