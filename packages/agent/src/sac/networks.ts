import * as A from '@twist/autograd';
import type { Var } from '@twist/autograd';
import * as K from '@twist/kernels';
import { tensor } from '@twist/kernels';
import { encoderOutSide, type SacConfig } from './config.js';
import { SquashedNormal } from './squashed-normal.js';

/**
 * DrQ's `Encoder` for the actor: convs 3 x 3 (VALID) with ReLU, flattened, Linear -> feature, LayerNorm, tanh.
 * Input: frame stacks f32 [N, H, W, 3k] in [0, 1] (DrQ: obs / 255). In asym-sac it belongs to the actor alone
 * and is trained by the actor loss only (REFERENCE-FACTS section 4: nothing to tie to the state critics).
 */
export class PixelEncoder extends A.Module {
  readonly convs: A.Conv2d[] = [];
  readonly linear: A.Linear;
  readonly norm: A.LayerNorm;
  readonly flat: number;

  constructor(ctx: A.InitContext, imageSize: number, channels: number, cfg: SacConfig['encoder']) {
    super();
    let cin = channels;
    cfg.strides.forEach((stride, i) => {
      this.convs.push(this.child(`conv${i}`, new A.Conv2d(ctx, cin, cfg.filters, 3, { stride, name: `actor.encoder.conv${i}` })));
      cin = cfg.filters;
    });
    const side = encoderOutSide(imageSize, cfg.strides);
    this.flat = side * side * cfg.filters;
    this.linear = this.child('linear', new A.Linear(ctx, this.flat, cfg.feature, { name: 'actor.encoder.linear' }));
    this.norm = this.child('norm', new A.LayerNorm(ctx, cfg.feature, 1e-5)); // PyTorch's LayerNorm eps
  }

  forward(x: Var): Var {
    let h = x;
    for (const c of this.convs) h = A.relu(c.forward(h));
    return A.tanh(this.norm.forward(this.linear.forward(A.reshape(h, [x.shape[0], this.flat]))));
  }
}

/**
 * pi(a | o): the encoder (images) or nothing (state input), then the trunk MLP (ReLU) to [mu | s] -> a
 * SquashedNormal with log std in [logStdMin, logStdMax] (DrQ `Actor`).
 */
export class SacActor extends A.Module {
  readonly encoder: PixelEncoder | null;
  readonly trunk: A.MLP;

  constructor(
    ctx: A.InitContext,
    readonly cfg: SacConfig,
    obs: { stateSize: number; imageSize: number; imageChannels: number },
    readonly actionSize: number,
  ) {
    super();
    this.encoder = cfg.actorInput === 'image' ? this.child('encoder', new PixelEncoder(ctx, obs.imageSize, obs.imageChannels * cfg.frameStack, cfg.encoder)) : null;
    const inSize = this.encoder ? cfg.encoder.feature : obs.stateSize;
    this.trunk = this.child('trunk', new A.MLP(ctx, inSize, { hidden: cfg.actorLayers, out: 2 * actionSize, act: 'relu', name: 'actor.trunk' }));
  }

  /** obs: f32 frame stacks [N, H, W, 3k] in [0, 1], or states [N, S]. */
  dist(obs: Var): SquashedNormal {
    const feature = this.encoder ? this.encoder.forward(obs) : obs;
    return SquashedNormal.fromActorOutput(this.trunk.forward(feature), this.cfg.logStdMin, this.cfg.logStdMax);
  }
}

/** Twin Q(s, a) on the privileged state (DrQ `Critic`'s Q1 and Q2 MLPs, ReLU, on [state, action]); q's are [B]. */
export class TwinQ extends A.Module {
  readonly q1: A.MLP;
  readonly q2: A.MLP;

  constructor(ctx: A.InitContext, stateSize: number, actionSize: number, layers: readonly number[], name: string) {
    super();
    this.q1 = this.child('q1', new A.MLP(ctx, stateSize + actionSize, { hidden: layers, out: 1, act: 'relu', name: `${name}.q1` }));
    this.q2 = this.child('q2', new A.MLP(ctx, stateSize + actionSize, { hidden: layers, out: 1, act: 'relu', name: `${name}.q2` }));
  }

  forward(state: Var, action: Var): [Var, Var] {
    const x = A.concat([state, action], -1);
    const B = state.shape[0];
    return [A.reshape(this.q1.forward(x), [B]), A.reshape(this.q2.forward(x), [B])];
  }
}

/** The entropy temperature as log alpha (one parameter; alpha = exp(log alpha) stays positive). */
export class Temperature extends A.Module {
  readonly logAlpha: Var;
  constructor(device: K.Device, init: number) {
    super();
    this.logAlpha = this.param('logAlpha', tensor(device, Float32Array.of(Math.log(init)), [1]));
  }
}
