"""Round 10's sweep: trains one variant of the main model or first stage (train.py's models, on a GPU
when there is one) on a packed build and writes its calibrated per-window probabilities on validation
and the held-out sets to OUT_DIR/VARIANT-SEED.npz. See README.md.

    python3 training/sweep/sweep.py DATA_DIR OUT_DIR VARIANT SEED [LIMIT]
"""
import sys, json, gzip, math, random, time, os
import numpy as np, torch, torch.nn.functional as F
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))
import train as T

VARIANTS = {
  'A': dict(arch='cnn+cnn-wide'),
  'B': dict(arch='cnn+cnn-wide', first_stage_plain=3),
  'C': dict(arch='cnn+cnn-wide', word_dropout=0.1),
  'D': dict(arch='cnn+cnn-wide', emb_lr_scale=1.0),
  'E': dict(arch='transformer'),
  'F': dict(arch='bag', emb_lr_scale=3, first_stage_plain=3, epochs=6),
  'G': dict(arch='bag', emb_dim=32, emb_lr_scale=3, first_stage_plain=3, epochs=6),
  'H': dict(arch='bag-local', emb_dim=32, emb_lr_scale=3, first_stage_plain=3, epochs=6),
  'I': dict(arch='cnn+cnn-wide', first_stage_plain=1, word_dropout=0.1, emb_lr_scale=1.0),
  'J': dict(arch='cnn', emb_dim=32, emb_lr_scale=3, first_stage_plain=3),
  'K': dict(arch='cnn-wide', emb_dim=32, emb_lr_scale=3, first_stage_plain=3),
  'L': dict(arch='cnn+cnn-wide', first_stage_plain=3, emb_lr_scale=1.0),
  'N': dict(arch='cnn+cnn-wide', first_stage_plain=3, emb_lr_scale=3.0),
  'O': dict(arch='cnn-wide', first_stage_plain=3, emb_lr_scale=1.0, word_dropout=0.1),
  'P': dict(arch='bag', emb_lr_scale=3, first_stage_plain=3, epochs=6, word_dropout=0.1),
  'Q': dict(arch='bag+cnn-wide', emb_lr_scale=3, first_stage_plain=3),
  'R': dict(arch='bag', emb_lr_scale=3, first_stage_plain=1, epochs=6),
}
BASE = dict(epochs=5, epoch_groups=28000, batch=32, lr=2e-3, dropout=None, channels=None, word_dropout=0.0,
            emb_lr_scale=0.1, first_stage_plain=0.0, emb_dim=0, freeze_emb=False, max_minutes=1e9)

class Args:
    pass

def main():
    data_dir, out_dir, name, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    limit = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    dev_ = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    torch.set_num_threads(1)
    args = Args()
    for k, v in {**BASE, **VARIANTS[name]}.items():
        setattr(args, k, v)
    data = json.load(gzip.open(os.path.join(data_dir, 'windows.json.gz')))
    emb = torch.from_numpy(np.frombuffer(gzip.open(os.path.join(data_dir, 'embeddings.f16.gz')).read(), dtype=np.float16).astype(np.float32).reshape(data['vocab_size'], data['dim']).copy())
    held = json.load(gzip.open(os.path.join(data_dir, 'held.json.gz')))
    if args.emb_dim:
        centred = emb[1:] - emb[1:].mean(dim=0, keepdim=True)
        _, _, v = torch.linalg.svd(centred, full_matrices=False)
        emb = torch.cat([torch.zeros(1, args.emb_dim), centred @ v[: args.emb_dim].T])
    train, dev = data['train'], data['dev']
    if limit:
        train = random.Random(seed).sample(train, limit); dev = dev[:200]
        held = {k: v[:60] for k, v in held.items()}
        args.epoch_groups = 0; args.epochs = 2
    if args.first_stage_plain:
        train = train + [dict(g, weight=args.first_stage_plain) for g in data.get('first_stage_plain', [])[: limit or None]]
    t0 = time.time()
    members = []
    for i, arch in enumerate(args.arch.split('+')):
        members.append(fit(args, arch, emb, train, dev, seed + i, dev_, members[0].emb if members else None))
    model = members[0] if len(members) == 1 else T.Ensemble(members).eval()
    dl = predict_groups(model, dev, dev_)
    scale, bias = T.fit_platt(dl, np.array([g['target'] for g in dev]))
    scale = torch.tensor(scale, device=dev_); bias = torch.tensor(bias, device=dev_)
    res = {}
    for set_name, docs in held.items():
        probs = predict_windows(model, docs, dev_, scale, bias)
        res[set_name] = probs.astype(np.float16)
    np.savez_compressed(os.path.join(out_dir, f'{name}-{seed}.npz'), **res)
    print(json.dumps({'variant': name, 'seed': seed, 'seconds': round(time.time() - t0, 1), 'dev': T.summary(dl, dev)['misalignment']}), flush=True)

def to_dev(ids, mask, owner, targets, weights, d):
    return ids.to(d), mask.to(d), owner.to(d), targets.to(d), weights.to(d)

def group_logits(model, ids, mask, owner, n):
    logits = model(ids, mask)
    out = torch.full((n, logits.shape[1]), T.NEG, dtype=logits.dtype, device=logits.device)
    return out.scatter_reduce(0, owner.unsqueeze(1).expand_as(logits), logits, reduce='amax', include_self=True)

@torch.no_grad()
def predict_groups(model, groups, d):
    model.eval(); outs = []
    for b in T.batches(groups, 64, False, None):
        ids, mask, owner, _, _ = to_dev(*T.collate(b), d)
        outs.append(group_logits(model, ids, mask, owner, len(b)).float().cpu())
    return torch.cat(outs).numpy()

@torch.no_grad()
def predict_windows(model, docs, d, scale, bias):
    """Per-window calibrated probabilities, in document order, windows flattened."""
    model.eval(); outs = []
    for b in T.batches(docs, 64, False, None):
        ids, mask, _, _, _ = to_dev(*T.collate(b), d)
        outs.append(torch.sigmoid(model(ids, mask) * scale + bias).float().cpu())
    return torch.cat(outs).numpy()

def fit(args, arch, emb, train, dev, seed, d, shared_emb):
    torch.manual_seed(seed); random.seed(seed); np.random.seed(seed)
    kwargs = {k: v for k, v in {'dropout': args.dropout, 'channels': args.channels}.items() if v is not None}
    model = T.ARCHS[arch](emb, **kwargs)
    if shared_emb is not None: model.emb = shared_emb
    if args.freeze_emb or shared_emb is not None: model.emb.weight.requires_grad_(False)
    model.to(d)
    emb_params = [p for p in model.emb.parameters() if p.requires_grad]
    other = [p for n, p in model.named_parameters() if not n.startswith('emb.')]
    groups = [{'params': other, 'lr': args.lr}] + ([{'params': emb_params, 'lr': args.lr * args.emb_lr_scale}] if emb_params else [])
    opt = torch.optim.AdamW(groups, weight_decay=1e-4)
    y = np.array([g['target'] for g in train]); pos = y.mean(axis=0).clip(0.01, 0.99)
    pos_weight = torch.tensor(np.minimum((1 - pos) / pos, 6.0), dtype=torch.float32, device=d)
    per_epoch = min(len(train), args.epoch_groups) if args.epoch_groups else len(train)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[g['lr'] for g in groups], total_steps=args.epochs * math.ceil(per_epoch / args.batch), pct_start=0.1)
    rnd = random.Random(seed); best, best_state = -1.0, None
    for epoch in range(args.epochs):
        model.train()
        for b in T.batches(train, args.batch, True, rnd, per_epoch):
            ids, mask, owner, targets, weights = to_dev(*T.collate(b, max_windows=8), d)
            if args.word_dropout > 0:
                drop = (torch.rand(ids.shape, device=d) < args.word_dropout) & (ids > 1)
                ids = ids.masked_fill(drop, 1)
            logits = group_logits(model, ids, mask, owner, len(b))
            loss = (F.binary_cross_entropy_with_logits(logits, targets, pos_weight=pos_weight, reduction='none').mean(dim=1) * weights).sum() / weights.sum()
            opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0); opt.step(); sched.step()
        r = T.summary(predict_groups(model, dev, d), dev)
        key = np.nanmean([r['misalignment'], r.get('behaviour_macro', float('nan')), r.get('aligned', float('nan'))])
        print(json.dumps({'arch': arch, 'epoch': epoch + 1, 'dev': round(float(r['misalignment']), 4)}), file=sys.stderr, flush=True)
        if not (key <= best): best = key; best_state = {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state); model.eval()
    return model

if __name__ == '__main__': main()
