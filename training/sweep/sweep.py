"""Round 10's sweep: trains one variant of the main model or first stage (train.py's models, on a GPU
when there is one) on a packed build and writes its calibrated per-window probabilities on validation
and the held-out sets to OUT_DIR/VARIANT-SEED.npz. See README.md.

    python3 training/sweep/sweep.py DATA_DIR OUT_DIR VARIANT SEED [LIMIT]
"""
import sys, json, gzip, random, time, os
import numpy as np, torch
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
        emb = T.project(emb, args.emb_dim)
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
        members.append(T.fit(args, arch, emb, train, dev, seed + i, members[0].emb if members else None, device=dev_)[0])
    model = members[0] if len(members) == 1 else T.Ensemble(members).eval()
    dl = T.predict(model, dev, device=dev_)
    scale, bias = T.fit_platt(dl, np.array([g['target'] for g in dev]))
    scale = torch.tensor(scale, device=dev_); bias = torch.tensor(bias, device=dev_)
    res = {}
    for set_name, docs in held.items():
        probs = predict_windows(model, docs, dev_, scale, bias)
        res[set_name] = probs.astype(np.float16)
    np.savez_compressed(os.path.join(out_dir, f'{name}-{seed}.npz'), **res)
    print(json.dumps({'variant': name, 'seed': seed, 'seconds': round(time.time() - t0, 1), 'dev': T.summary(dl, dev)['misalignment']}), flush=True)

@torch.no_grad()
def predict_windows(model, docs, d, scale, bias):
    """Per-window calibrated probabilities, in document order, windows flattened."""
    model.eval(); outs = []
    for b in T.batches(docs, 64, False, None):
        ids, mask, _, _, _ = (t.to(d) for t in T.collate(b))
        outs.append(torch.sigmoid(model(ids, mask) * scale + bias).float().cpu())
    return torch.cat(outs).numpy()

if __name__ == '__main__': main()
