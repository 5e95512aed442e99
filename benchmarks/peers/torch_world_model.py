#!/usr/bin/env python3
"""The PyTorch CPU peer of `pnpm bench:rssm`: the DreamerV2 world model of @twist/rssm, the same layer sizes, in
PyTorch, trained by the same loss, so that a WorldModelTrainer step can be timed against it on the same CPU.

Run by benchmarks/src/peers/torch.mjs as a child process; one JSON object per line on stdin and stdout:
  {"cmd": "setup", "cfg": <WorldModelConfig>, "B": 16, "T": 50, "threads": 2}
      -> {"ok": true, "params": n, "flops": <hook-counted train-step FLOPs>, "blas": ..., ...}
  {"cmd": "step"}  -> {"ok": true, "s": seconds}      one training step (forward, backward, clip, AdamW)
  {"cmd": "check", "cfg": ..., "B": .., "T": .., "file": <raw f32>, "params": [...], "batch": {...}}
      -> {"ok": true, "loss": .., "reconLoss": .., "rewardLoss": .., "klLoss": .., "meanKL": .., "gradNorm": .., "postLogits": [..]}
      a step of a model holding ours' weights on ours' batch (benchmarks/peers/check-torch.mjs)
  {"cmd": "quit"}
Errors come back as {"ok": false, "error": "..."}.

The model (WorldModel, RSSM, networks of packages/rssm/src):
  encoder   state: MLP S -> mlpLayers (act after each); image: convs k4 s2 VALID, depths d, 2d, 4d, 8d, act, flatten
  RSSM      h_t = GRU(h_{t-1}, act(W_in [z_{t-1}, a_t]))  LayerNorm GRU, no dense bias, update bias -1, eps 1e-3
            prior logits = W_prior act(W_out h_t)          (from the stacked h after the loop, as ours; no sample)
            post logits  = W_post act(W_obs [h_t, e_t]);  z_t = one-hot sample + probs - sg(probs) (straight-through)
            h, z and a reset to zero where isFirst
  decoder   state: MLP F -> mlpLayers -> S; image: dense F -> 32d, 1x1, conv-transposes k 5,5,6,6 s2, act between
  reward    MLP F -> rewardLayers -> 1
  loss      0.5 sum_event (x_hat - x)^2 (mean over B, T) + 0.5 (r_hat - r)^2 + KL balancing (alpha 0.8, free nats
            1 on the mean KL summed over variables and classes), AdamW (decoupled decay), global-norm clip 100
FLOPs are counted from what runs (forward hooks on every dense, conv and GRU matmul during one step's forward),
times 3 for the backward, the same convention as benchmarks/src/flops.mjs, so the benchmark can check that both
models have the same size by two independent counts.
"""
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def activation(name):
    return F.elu if name == 'elu' else F.silu


def glorot(w, fan_in, fan_out):
    lim = math.sqrt(6.0 / max(1, fan_in + fan_out))
    with torch.no_grad():
        w.uniform_(-lim, lim)


class Counter:
    """Multiply-adds of the matmuls and convolutions run while `on` (forward hooks)."""

    def __init__(self):
        self.on = False
        self.macs = 0

    def add(self, n):
        if self.on:
            self.macs += int(n)


COUNT = Counter()


def count_linear(mod, inp, out):
    COUNT.add(inp[0].numel() // mod.in_features * mod.in_features * mod.out_features)


def count_conv(mod, inp, out):
    k = mod.kernel_size[0] * mod.kernel_size[1]
    COUNT.add(out.numel() * mod.in_channels * k)


def count_deconv(mod, inp, out):
    k = mod.kernel_size[0] * mod.kernel_size[1]
    COUNT.add(inp[0].numel() * mod.out_channels * k)


def dense(i, o):
    l = nn.Linear(i, o)
    glorot(l.weight, i, o)
    nn.init.zeros_(l.bias)
    l.register_forward_hook(count_linear)
    return l


class MLP(nn.Module):
    def __init__(self, i, hidden, out, act):
        super().__init__()
        dims = [i] + list(hidden)
        self.layers = nn.ModuleList([dense(a, b) for a, b in zip(dims[:-1], dims[1:])])
        self.head = dense(dims[-1], out) if out is not None else None
        self.act = activation(act)

    def forward(self, x):
        for l in self.layers:
            x = self.act(l(x))
        return self.head(x) if self.head is not None else x


class GRUCell(nn.Module):
    """DreamerV2's GRU with LayerNorm on the gates (kernels/src/gru/gru.ts): parts = LN(x Wx + h Wh), split into
    reset, candidate, update; reset = sigmoid(reset); cand = tanh(reset * cand); update = sigmoid(update - 1);
    h' = update * cand + (1 - update) * h."""

    def __init__(self, i, h, update_bias=-1.0, eps=1e-3):
        super().__init__()
        self.H = h
        self.wx = nn.Parameter(torch.empty(i, 3 * h))
        self.wh = nn.Parameter(torch.empty(h, 3 * h))
        glorot(self.wx, i + h, 3 * h)
        glorot(self.wh, i + h, 3 * h)
        self.gamma = nn.Parameter(torch.ones(3 * h))
        self.beta = nn.Parameter(torch.zeros(3 * h))
        self.update_bias = update_bias
        self.eps = eps

    def forward(self, x, h):
        COUNT.add(x.shape[0] * (self.wx.shape[0] + self.wh.shape[0]) * 3 * self.H)
        parts = F.layer_norm(x @ self.wx + h @ self.wh, (3 * self.H,), self.gamma, self.beta, self.eps)
        reset, cand, update = parts.split(self.H, -1)
        reset = torch.sigmoid(reset)
        cand = torch.tanh(reset * cand)
        update = torch.sigmoid(update + self.update_bias)
        return update * cand + (1 - update) * h


def st_sample(logits):
    """Straight-through one-hot sample of categoricals over the last axis (unimix 0)."""
    probs = torch.softmax(logits, -1)
    C = probs.shape[-1]
    idx = torch.multinomial(probs.reshape(-1, C), 1).squeeze(-1)
    onehot = F.one_hot(idx, C).reshape(probs.shape).to(probs.dtype)
    return onehot + probs - probs.detach()


def encoder_sizes(size):
    layers = 4 if size >= 64 else 3
    sizes = [size]
    for _ in range(layers):
        sizes.append((sizes[-1] - 4) // 2 + 1)
    return sizes


def decoder_kernels(size):
    return [5, 5, 6, 6] if size >= 64 else [5, 6, 6]


class ImageEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        sizes = encoder_sizes(cfg['imageSize'])
        cin = cfg['imageChannels']
        self.convs = nn.ModuleList()
        for i in range(len(sizes) - 1):
            cout = 2 ** i * cfg['cnnDepth']
            c = nn.Conv2d(cin, cout, 4, stride=2)
            glorot(c.weight, 16 * cin, 16 * cout)
            nn.init.zeros_(c.bias)
            c.register_forward_hook(count_conv)
            self.convs.append(c)
            cin = cout
        self.out_size = sizes[-1] ** 2 * cin
        self.act = activation(cfg['rssm']['act'])

    def forward(self, x):  # [N, C, H, W] -> [N, E], flattened in ours' NHWC order (H, W, C)
        for c in self.convs:
            x = self.act(c(x))
        return x.permute(0, 2, 3, 1).flatten(1)


class ImageDecoder(nn.Module):
    def __init__(self, cfg, feat):
        super().__init__()
        d = cfg['cnnDepth']
        self.d = d
        self.dense = dense(feat, 32 * d)
        ks = decoder_kernels(cfg['imageSize'])
        cin = 32 * d
        self.deconvs = nn.ModuleList()
        for i, k in enumerate(ks):
            cout = cfg['imageChannels'] if i == len(ks) - 1 else 2 ** (len(ks) - i - 2) * d
            c = nn.ConvTranspose2d(cin, cout, k, stride=2)
            glorot(c.weight, k * k * cin, k * k * cout)
            nn.init.zeros_(c.bias)
            c.register_forward_hook(count_deconv)
            self.deconvs.append(c)
            cin = cout
        self.act = activation(cfg['rssm']['act'])

    def forward(self, f):  # [N, F] -> [N, C, H, W]
        x = self.dense(f).reshape(-1, 32 * self.d, 1, 1)
        for i, c in enumerate(self.deconvs):
            x = c(x)
            if i < len(self.deconvs) - 1:
                x = self.act(x)
        return x


class RSSM(nn.Module):
    def __init__(self, r, action_size, embed):
        super().__init__()
        if r.get('actionEmbed', 0):
            raise ValueError('torch peer: rssm.actionEmbed > 0 is not written here (the benchmark presets have 0)')
        D, Hd, S, C = r['deter'], r['hidden'], r['stoch'], r['classes']
        self.D, self.S, self.C = D, S, C
        Z = S * C
        self.img_in = dense(Z + action_size, Hd)
        self.gru = GRUCell(Hd, D)
        self.img_out = dense(D, Hd)
        self.prior_head = dense(Hd, Z)
        self.obs_out = dense(D + embed, Hd)
        self.post_head = dense(Hd, Z)
        self.act = activation(r['act'])

    def observe(self, embeds, actions, is_first):
        B, T = embeds.shape[:2]
        h = embeds.new_zeros(B, self.D)
        z = embeds.new_zeros(B, self.S * self.C)
        keep = 1 - is_first
        deters, stochs, posts = [], [], []
        for t in range(T):
            k = keep[:, t : t + 1]
            h, z, a = h * k, z * k, actions[:, t] * k
            h = self.gru(self.act(self.img_in(torch.cat([z, a], -1))), h)
            logits = self.post_head(self.act(self.obs_out(torch.cat([h, embeds[:, t]], -1))))
            z = st_sample(logits.reshape(B, self.S, self.C)).reshape(B, -1)
            deters.append(h)
            stochs.append(z)
            posts.append(logits)
        deter = torch.stack(deters, 1)
        prior = self.prior_head(self.act(self.img_out(deter)))
        shape = (B, T, self.S, self.C)
        return deter, torch.stack(stochs, 1), torch.stack(posts, 1).reshape(shape), prior.reshape(shape)


def kl(p, q):
    """KL(p || q) of categoricals from logits [..., S, C], summed over S and C."""
    lp = torch.log_softmax(p, -1)
    return (lp.exp() * (lp - torch.log_softmax(q, -1))).sum((-2, -1))


def entropy(l):
    lp = torch.log_softmax(l, -1)
    return -(lp.exp() * lp).sum((-2, -1))


class WorldModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        if cfg.get('continueHead') or cfg.get('stateRecon') or cfg.get('symlogInputs'):
            raise ValueError('torch peer: continueHead, stateRecon and symlogInputs are not written here (off in the benchmark presets)')
        self.cfg = cfg
        r = cfg['rssm']
        act = r['act']
        self.image = cfg['modality'] == 'image'
        if self.image:
            self.encoder = ImageEncoder(cfg)
            embed = self.encoder.out_size
        else:
            self.encoder = MLP(cfg['stateSize'], cfg['mlpLayers'], None, act)
            embed = cfg['mlpLayers'][-1]
        self.rssm = RSSM(r, cfg['actionSize'], embed)
        feat = r['deter'] + r['stoch'] * r['classes']
        self.decoder = ImageDecoder(cfg, feat) if self.image else MLP(feat, cfg['mlpLayers'], cfg['stateSize'], act)
        self.reward = MLP(feat, cfg['rewardLayers'], 1, act)

    def loss(self, obs, actions, rewards, is_first):
        B, T = actions.shape[:2]
        if self.image:
            x = obs.permute(0, 1, 4, 2, 3).to(torch.float32) / 255 - 0.5  # NHWC u8 -> NCHW f32
            embeds = self.encoder(x.reshape(B * T, *x.shape[2:])).reshape(B, T, -1)
        else:
            x = obs
            embeds = self.encoder(x)
        deter, stoch, post, prior = self.rssm.observe(embeds, actions, is_first)
        feat = torch.cat([deter, stoch], -1)
        if self.image:
            recon = self.decoder(feat.reshape(B * T, -1)).reshape(x.shape)
            recon_loss = 0.5 * ((recon - x) ** 2).sum((-3, -2, -1)).mean()
        else:
            recon_loss = 0.5 * ((self.decoder(feat) - x) ** 2).sum(-1).mean()
        reward_loss = 0.5 * ((self.reward(feat).squeeze(-1) - rewards) ** 2).mean()
        k = self.cfg['kl']
        lhs = kl(post, prior.detach()).mean()
        rhs = kl(post.detach(), prior).mean()
        kl_loss = (1 - k['balance']) * torch.clamp(lhs, min=k['free']) + k['balance'] * torch.clamp(rhs, min=k['free'])
        loss = recon_loss + reward_loss + k['scale'] * kl_loss
        parts = {'loss': loss, 'reconLoss': recon_loss, 'rewardLoss': reward_loss, 'klLoss': kl_loss, 'meanKL': lhs}
        return parts, post, prior


class Trainer:
    def __init__(self, cfg, B, T):
        torch.manual_seed(cfg.get('seed', 0))
        self.model = WorldModel(cfg)
        o = cfg['opt']
        self.clip = o['clip']
        self.params = list(self.model.parameters())
        self.opt = torch.optim.AdamW(self.params, lr=o['lr'], eps=o['eps'], weight_decay=o['weightDecay'], foreach=True)
        g = torch.Generator().manual_seed(5)
        if cfg['modality'] == 'image':
            s, c = cfg['imageSize'], cfg['imageChannels']
            self.obs = torch.randint(0, 256, (B, T, s, s, c), generator=g, dtype=torch.uint8)
        else:
            self.obs = torch.rand(B, T, cfg['stateSize'], generator=g) * 2 - 1
        self.actions = torch.rand(B, T, cfg['actionSize'], generator=g) * 2 - 1
        self.rewards = torch.rand(B, T, generator=g) * 2 - 1
        self.is_first = torch.zeros(B, T)
        self.is_first[:, 0] = 1

    def step(self, out=None):
        parts, post, prior = self.model.loss(self.obs, self.actions, self.rewards, self.is_first)
        if out is not None:
            out['postLogits'] = post.detach().flatten().tolist()
        self.opt.zero_grad(set_to_none=True)
        parts['loss'].backward()
        norm = torch.nn.utils.clip_grad_norm_(self.params, self.clip if self.clip > 0 else float('inf'))
        self.opt.step()
        with torch.no_grad():  # the metrics ours computes too
            entropy(prior).mean(), entropy(post).mean()
        return {**{k: float(v) for k, v in parts.items()}, 'gradNorm': float(norm)}


def ours_name(name):
    """The name of a torch parameter's counterpart in @twist/rssm's WorldModel (Module.namedParameters)."""
    for net in ('encoder', 'decoder', 'reward'):
        name = name.replace(f'{net}.layers.', f'{net}.mlp.layer').replace(f'{net}.head.', f'{net}.mlp.out.')
    name = name.replace('encoder.convs.', 'encoder.conv').replace('decoder.deconvs.', 'decoder.deconv')
    for a, b in (('img_in', 'imgIn'), ('img_out', 'imgOut'), ('prior_head', 'priorHead'), ('obs_out', 'obsOut'), ('post_head', 'postHead')):
        name = name.replace(f'rssm.{a}.', f'rssm.{b}.')
    return name


def load_ours(model, weights):
    """Copies ours' parameters in: dense [in, out] -> [out, in]; conv [k, k, cin, cout] and conv-transpose
    [k, k, cout, cin] -> torch's [cout, cin, k, k] and [cin, cout, k, k] (the same permutation); the rest as is."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            w = weights[ours_name(name)]
            if p.dim() == 4:
                w = w.permute(3, 2, 0, 1)
            elif p.dim() == 2 and name.endswith('.weight'):
                w = w.t()
            if tuple(w.shape) != tuple(p.shape):
                raise ValueError(f'{name} ({ours_name(name)}): ours {list(w.shape)} does not fit torch {list(p.shape)}')
            p.copy_(w)


def check(msg):
    """One training step of a model with ours' weights on ours' batch (a raw f32 file and its layout), its loss
    parts and gradient norm, to compare with ours' metrics of the same step."""
    with open(msg['file'], 'rb') as f:
        buf = torch.frombuffer(bytearray(f.read()), dtype=torch.float32)
    take = lambda e: buf[e['offset'] : e['offset'] + math.prod(e['shape'])].reshape(e['shape']).clone()
    B, T = msg['B'], msg['T']
    trainer = Trainer(msg['cfg'], B, T)
    load_ours(trainer.model, {e['name']: take(e) for e in msg['params']})
    b = {k: take(e) for k, e in msg['batch'].items()}
    trainer.obs = b['obs'].round().to(torch.uint8) if msg['cfg']['modality'] == 'image' else b['obs']
    trainer.actions, trainer.rewards, trainer.is_first = b['actions'], b['rewards'], b['isFirst']
    out = {}
    return {**trainer.step(out), **out}


def loaded_blas():
    """The BLAS library this process mapped (Debian's torch links libblas.so.3, whichever provides it)."""
    try:
        with open('/proc/self/maps') as f:
            libs = {line.split()[-1] for line in f if 'blas' in line.lower() and '/' in line}
        return ', '.join(sorted(libs)) or 'none found in /proc/self/maps'
    except OSError:
        return 'unknown (no /proc/self/maps)'


def blas_info():
    """The BLAS torch was built for (BLAS_INFO of torch.__config__.show(): mkl, open, generic, ...)."""
    for part in torch.__config__.show().replace('\n', ',').split(','):
        if part.strip().startswith('BLAS_INFO='):
            return part.strip()[len('BLAS_INFO='):]
    return 'unknown'


def matmul_gflops(n=256, reps=20):
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3):
        a @ b
    t = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * n ** 3 * reps / (time.perf_counter() - t) / 1e9


def main():
    trainer = None
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            msg = json.loads(line)
            cmd = msg.get('cmd')
            if cmd == 'setup':
                threads = int(msg.get('threads', 2))
                torch.set_num_threads(threads)
                trainer = Trainer(msg['cfg'], int(msg['B']), int(msg['T']))
                COUNT.on, COUNT.macs = True, 0
                with torch.no_grad():
                    trainer.model.loss(trainer.obs, trainer.actions, trainer.rewards, trainer.is_first)
                COUNT.on = False
                reply = {
                    'ok': True,
                    'params': sum(p.numel() for p in trainer.params),
                    'flops': 3 * 2 * COUNT.macs,
                    'torch': torch.__version__,
                    'threads': torch.get_num_threads(),
                    'ompWaitPolicy': os.environ.get('OMP_WAIT_POLICY', ''),
                    'blas': loaded_blas(),
                    'blasInfo': blas_info(),
                    'matmul256GFlops': matmul_gflops(),
                }
            elif cmd == 'step':
                t = time.perf_counter()
                trainer.step()
                reply = {'ok': True, 's': time.perf_counter() - t}
            elif cmd == 'check':
                reply = {'ok': True, **check(msg)}
            elif cmd == 'quit':
                return
            else:
                reply = {'ok': False, 'error': f'unknown command {cmd!r}'}
        except Exception as e:  # reported to the benchmark, which marks the peer unavailable
            reply = {'ok': False, 'error': f'{type(e).__name__}: {e}'}
        sys.stdout.write(json.dumps(reply) + '\n')
        sys.stdout.flush()


if __name__ == '__main__':
    main()
