# The pose probe (pose-from-renders.mjs) re-done in PyTorch, as an independent implementation: the same encoder
# (DreamerV2's convs, kernel 4, stride 2, depths d, 2d, 4d, 8d, ELU, flattened) and a linear head regress the
# standardised [x, cos theta, sin theta] from single frames written by dump-pose-frames.mjs; Adam (eps 1e-5,
# gradient norm clipped at 100), 128 frames per update. Every 100 updates: R^2 per target and the pole angle's
# RMS error over the near-upright frames on EVAL (and on EVAL2, e.g. held-out domains, when given).
# It answers whether our kernels, or the task, make the pole's tilt slow to learn.
# Usage: LD_LIBRARY_PATH=<OpenBLAS> OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 probes/pose_probe_torch.py TRAIN EVAL UPDATES LR DEPTH [EVAL2]
import sys, numpy as np, torch, torch.nn as nn, math, time
torch.set_num_threads(2); torch.manual_seed(0)
def load(p):
    o = np.fromfile(p + '.u8', dtype=np.uint8).reshape(-1, 64, 64, 3)
    l = np.fromfile(p + '.f32', dtype=np.float32).reshape(-1, 4)
    return torch.from_numpy(o).permute(0, 3, 1, 2).float() / 255 - 0.5, torch.from_numpy(l)
tr, trl = load(sys.argv[1]); ev, evl = load(sys.argv[2]); ev2, evl2 = load(sys.argv[6]) if len(sys.argv) > 6 else (ev, evl)
updates = int(sys.argv[3]); lr = float(sys.argv[4]); d = int(sys.argv[5]) if len(sys.argv) > 5 else 16
def tgt(l):
    return torch.stack([l[:, 0] / (1.8 / math.sqrt(3)), torch.cos(l[:, 1]), torch.sin(l[:, 1])], 1)
layers = []; c = 3
for k in range(4):
    layers += [nn.Conv2d(c, d * 2**k, 4, 2), nn.ELU()]; c = d * 2**k
enc = nn.Sequential(*layers, nn.Flatten()); head = nn.Linear(c * 4, 3)
opt = torch.optim.Adam(list(enc.parameters()) + list(head.parameters()), lr=lr, eps=1e-5)
ye = tgt(evl)
def evaluate():
    global ye
    with torch.no_grad(): p = head(enc(ev))
    r2 = [1 - ((ye[:, k] - p[:, k])**2).sum() / ((ye[:, k] - ye[:, k].mean())**2).sum() for k in range(3)]
    up = evl[:, 2] > 0.5
    th = torch.atan2(p[:, 2], p[:, 1]); dd = torch.atan2(torch.sin(th - evl[:, 1]), torch.cos(th - evl[:, 1]))
    return [float(r) for r in r2], float(torch.sqrt((dd[up]**2).mean())) * 180 / math.pi
g = torch.Generator().manual_seed(1); t0 = time.time()
for u in range(1, updates + 1):
    idx = torch.randint(0, tr.shape[0], (128,), generator=g)
    p = head(enc(tr[idx])); loss = ((p - tgt(trl[idx]))**2).mean(0).sum()
    opt.zero_grad(); loss.backward(); nn.utils.clip_grad_norm_(list(enc.parameters()) + list(head.parameters()), 100); opt.step()
    if u % 100 == 0:
        r2, rms = evaluate(); ev, evl, ev2, evl2 = ev2, evl2, ev, evl; ye = tgt(evl); r2b, rmsb = evaluate(); ev, evl, ev2, evl2 = ev2, evl2, ev, evl; ye = tgt(evl); print(f'[other eval: sin {r2b[2]:.2f} RMS {rmsb:.1f}] ', end=''); print(f'update {u}: R^2 x {r2[0]:.2f} cos {r2[1]:.2f} sin {r2[2]:.2f}; upright RMS {rms:.1f} deg ({(time.time()-t0)/u:.2f} s/update)', flush=True)
