"""Round 10's sweep table: per-window probabilities (sweep.py's or onnx-windows.ts's .npz files) to
AUROC, F1 and long documents flagged, per set and (POOLED=1) pooled. See README.md.

    python3 training/sweep/analyze.py HELD_JSON_GZ DIR [SPEC ...]   SPEC: X-1, X-1@G-1[:weight], X-1+Y-1
"""
import sys, json, gzip, glob, os
import numpy as np
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..')); import train as T
held = json.load(gzip.open(sys.argv[1])); d = sys.argv[2]
SETS = [s for s in ['val', 'test', 'test2', 'test3', 'test4', 'test5', 'test6'] + (['test7', 'test8'] if os.environ.get('SHOW_BLIND') else []) if s in held]
POOL = os.environ.get('POOLSETS', 'val,test,test2,test3,test4,test5,test6').split(',')
def load(n):
    """sweep.py's NAME.npz, or onnx-windows.ts's NAME.json (read as is)."""
    path = os.path.join(d, n)
    if os.path.exists(path + '.npz'): return np.load(path + '.npz')
    return {k: np.array(v, dtype=np.float32) for k, v in json.load(open(path + '.json')).items()}
def doc_scores(win, docs):
    out, i = [], 0
    for doc in docs:
        k = len(doc['windows'])
        if i + k > len(win): break  # a --limit test run scored only the first documents
        out.append(win[i:i + k].max(axis=0)); i += k
    return np.array(out)
def combo(spec, s):
    if '@' in spec:
        m, g = spec.split('@'); w = 0.5
        if ':' in g: g, w = g.split(':'); w = float(w)
        M = load(m)[s].astype(np.float32); G = load(g)[s].astype(np.float32)
        GT = float(os.environ.get('GATE', 0.045)); gate = (G[:, 0] >= GT) | (G[:, 6] >= GT)
        W = np.where(gate[:, None], w * M + (1 - w) * G, G)
    elif '+' in spec:
        parts = spec.split('+'); W = np.mean([load(p)[s].astype(np.float32) for p in parts], axis=0)
    else:
        W = load(spec)[s].astype(np.float32)
    return doc_scores(W, held[s])
def f1_at(y, p, t):
    pr = p >= t; tp = (pr & (y == 1)).sum(); fp = (pr & (y == 0)).sum(); fn = (~pr & (y == 1)).sum()
    return 2 * tp / max(1, 2 * tp + fp + fn)
def plateau_threshold(y, p):
    ts = np.linspace(0.05, 0.95, 181); f = np.array([f1_at(y, p, t) for t in ts])
    ok = ts[f >= f.max() - 0.005]; return float((ok.min() + ok.max()) / 2)
specs = sys.argv[3:] or sorted({os.path.basename(f)[:-4] for f in glob.glob(os.path.join(d, '*.npz'))})
print('spec'.ljust(16), 'thr ', ' '.join(s.rjust(25) for s in SETS))
for spec in specs:
    try: scores = {s: combo(spec, s) for s in SETS}
    except FileNotFoundError as e: print(spec, 'missing'); continue
    y = {s: np.array([doc['target'] for doc in held[s][:len(scores[s])]]) for s in SETS}
    yp = np.concatenate([y[s][:, 0] for s in POOL]); pp = np.concatenate([scores[s][:, 0] for s in POOL])
    t = plateau_threshold(yp, pp)
    cells = []
    for s in SETS:
        a = T.auroc(y[s][:, 0], scores[s][:, 0]); f = f1_at(y[s][:, 0], scores[s][:, 0], t)
        L = np.array([doc['long1'] for doc in held[s][:len(scores[s])]], dtype=bool); lf = int((scores[s][L, 0] >= t).sum())
        beh = np.nanmean([T.auroc(y[s][:, k], scores[s][:, k]) for k in range(1, 6)]); al = T.auroc(y[s][:, 6], scores[s][:, 6])
        cells.append(f'{a:.3f}/{f:.3f}/{lf:2d}/{L.sum():2d} {beh:.2f}/{al:.2f}')
    print(spec.ljust(16), f'{t:.2f}', ' '.join(c.rjust(25) for c in cells))

def pooled(spec, names, t=None):
    sc = {s: combo(spec, s) for s in names}
    y = np.concatenate([np.array([doc['target'] for doc in held[s][:len(sc[s])]]) for s in names]); p = np.concatenate([sc[s] for s in names])
    L = np.concatenate([np.array([doc['long1'] for doc in held[s][:len(sc[s])]], dtype=bool) for s in names])
    if t is None: t = plateau_threshold(y[:, 0], p[:, 0])
    beh = np.nanmean([T.auroc(y[:, k], p[:, k]) for k in range(1, 6)])
    return t, f'{T.auroc(y[:, 0], p[:, 0]):.4f} F1 {f1_at(y[:, 0], p[:, 0], t):.3f} long {int((p[L, 0] >= t).sum())}/{L.sum()} beh {beh:.3f} al {T.auroc(y[:, 6], p[:, 6]):.3f}'
if os.environ.get('POOLED'):
    print()
    blind = [s for s in SETS if s not in POOL]
    for spec in specs:
        t, a = pooled(spec, POOL); b = pooled(spec, blind, t)[1] if blind else ''
        print(spec.ljust(30), f'thr {t:.3f} | select {a} | blind {b}')
