import { unaryGradCpu, unaryGradWgsl } from '../binary/binary-defs.js';
import unaryGradHelpers from '../binary/unary-grad-helpers.wgsl';
import { withSampler } from '../categorical/categorical-kernel.js';
import { sampleRowFixed } from '../categorical/sampler.js';
import { registerKernel } from '../core/registry.js';
import { unaryCpu, unaryWgsl } from '../elementwise/unary-defs.js';
import type { MatmulAct } from '../matmul/matmul-kernel.js';
import { philoxInto } from '../rng/philox.js';
import { accessors, matvec, type MatVec } from './matvec.js';
import ieeeSource from '../webgpu/ieee.wgsl';
import bwdSource from './observe-scan-backward.wgsl';
import fwdSource from './observe-scan-forward.wgsl';

/** The vec4 form of the kernels' matrix-vector loops (matvec.ts) needs every size a multiple of 4. */
const vec4Of = (p: ScanSizes) => p.D % 4 === 0 && p.H % 4 === 0 && (p.S * p.C) % 4 === 0;
/** Whether the kernel shares the vector loads across subgroups (the vec4 form only). */
const sgOf = (p: ScanSizes) => vec4Of(p) && !!p.sg;
/** The form's tag in the pipeline variant: scalar, vec4, or vec4 with subgroup-shared loads. */
const formOf = (p: ScanSizes) => (sgOf(p) ? 'v4sg' : vec4Of(p) ? 'v4' : 's');
/** The subgroup form's additions: the enable directive (before everything) and the main's subgroup lane id. */
const withSg = (p: ScanSizes, src: string) =>
  sgOf(p)
    ? 'enable subgroups;\n' + src.replace('@builtin(workgroup_id) wid: vec3<u32>)', '@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) sgid: u32)')
    : src;
/** Threads per workgroup (>= RB). */
const WG = 32;
/**
 * Batch rows per workgroup: their products share the weight loads (matvec.ts). 4 (measured on llvmpipe, B 16,
 * the quick preset's sizes): the forward scan took 175 / 140 / 121 ms at 2 / 4 / 8 rows, and compiling it 8 /
 * 12 / 63 s (each lane keeps RB x 4 accumulators; at 8 they no longer fit in registers). One value for every B
 * (a smaller batch computes clamped copies of its last row), so there is one pipeline per form.
 * Re-measured with the subgroup-shared vector loads (2.6 GHz Xeon, idle): 8 rows took 71 / 109 ms forward /
 * backward against 84 / 112 at 4, and compiling 17 / 36 s against 7 / 12 s - still not worth it.
 */
const RB = 4;
const rbOf = (_p: ScanSizes) => RB;

/** An activation of the scan's two input layers (the fused linear's, without 'none'). */
export type ScanAct = Exclude<MatmulAct, 'none'>;

/** Element offsets of the forward's regions in its one output buffer (each VIEW_ALIGN_BYTES-aligned). */
export interface ScanForwardLayout {
  deter: number;
  stoch: number;
  hprev: number;
  zprev: number;
  ain: number;
  xin: number;
  pre: number;
  stats: number;
  aobs: number;
  xobs: number;
  probs: number;
  total: number;
}

/** Element offsets of the backward's regions in its one output buffer. */
export interface ScanBackwardLayout {
  ain: number;
  aobs: number;
  logits: number;
  pre: number;
  gamma: number;
  beta: number;
  h0: number;
  z0: number;
  sums: number;
  total: number;
}

export interface ScanSizes {
  /**
   * The vec4 products share the vector's loads across subgroups (matvec.ts matvecShared; needs subgroups of >= 8
   * lanes). Ignored by the scalar form and the CPU backend; the results are the same bit for bit.
   */
  sg?: boolean;
  B: number;
  T: number;
  D: number;
  H: number;
  S: number;
  C: number;
}

export interface ScanForwardParams extends ScanSizes {
  act: ScanAct;
  hasStart: boolean;
  unimix: number;
  eps: number;
  updateBias: number;
  /** the sampler's weight bits and quantised unimix (sampler.ts) */
  q: number;
  M: number;
  k0: number;
  k1: number;
  /** the RNG offset of step 0's rows (64 bits as two words); step t's is that plus t * ostep */
  o0: number;
  o1: number;
  ostep: number;
  L: ScanForwardLayout;
}

export interface ScanBackwardParams extends ScanSizes {
  act: ScanAct;
  hasStart: boolean;
  unimix: number;
  updateBias: number;
  L: ScanForwardLayout;
  G: ScanBackwardLayout;
}

const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

// Inputs [act, emb, isFirst, Wz, Wx, Wh, gamma, beta, Wo, Wp, bp, h0, z0], output [OUT]; see observe-scan-forward.wgsl.
registerKernel({
  name: 'observe_scan',
  backend: 'cpu',
  run([ACT, EMB, FIRST, WZ, WX, WH, G, BT, WO, WP, BP, H0, Z0], [OUT], p: ScanForwardParams) {
    const { B, T, D, H, S, C, L } = p;
    const Z = S * C;
    const G3 = 3 * D;
    const act = unaryCpu(p.act);
    const w = new Uint32Array(4);
    const fl = p.unimix / C;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const bt = b * T + t;
        const zeroStart = t === 0 && !p.hasStart;
        const keep = 1 - FIRST[bt];
        for (let i = 0; i < D; i++) OUT[L.hprev + bt * D + i] = zeroStart ? 0 : (t === 0 ? H0[b * D + i] : OUT[L.deter + (bt - 1) * D + i]) * keep;
        for (let k = 0; k < Z; k++) OUT[L.zprev + bt * Z + k] = zeroStart ? 0 : (t === 0 ? Z0[b * Z + k] : OUT[L.stoch + (bt - 1) * Z + k]) * keep;
        for (let j = 0; j < H; j++) {
          let a = ACT[bt * H + j];
          if (!zeroStart) {
            let v = 0;
            for (let k = 0; k < Z; k++) v += OUT[L.zprev + bt * Z + k] * WZ[k * H + j];
            a = Math.fround(v) + a;
          }
          OUT[L.ain + bt * H + j] = a;
          OUT[L.xin + bt * H + j] = act(OUT[L.ain + bt * H + j], 1, 0);
        }
        const pb = L.pre + bt * G3;
        for (let c = 0; c < G3; c++) {
          let xw = 0;
          for (let k = 0; k < H; k++) xw += OUT[L.xin + bt * H + k] * WX[k * G3 + c];
          let hw = 0;
          for (let i = 0; i < D; i++) hw += OUT[L.hprev + bt * D + i] * WH[i * G3 + c];
          OUT[pb + c] = Math.fround(xw) + Math.fround(hw);
        }
        const shift = OUT[pb];
        let s = 0;
        for (let c = 0; c < G3; c++) s += OUT[pb + c] - shift;
        OUT[L.stats + 2 * bt] = shift + s / G3;
        const mean = OUT[L.stats + 2 * bt];
        let v = 0;
        for (let c = 0; c < G3; c++) v += (OUT[pb + c] - mean) ** 2;
        OUT[L.stats + 2 * bt + 1] = 1 / Math.sqrt(v / G3 + p.eps);
        const rstd = OUT[L.stats + 2 * bt + 1];
        for (let j = 0; j < D; j++) {
          const r = sigmoid((OUT[pb + j] - mean) * rstd * G[j] + BT[j]);
          const cand = Math.tanh(r * ((OUT[pb + D + j] - mean) * rstd * G[D + j] + BT[D + j]));
          const upd = sigmoid((OUT[pb + 2 * D + j] - mean) * rstd * G[2 * D + j] + BT[2 * D + j] + p.updateBias);
          OUT[L.deter + bt * D + j] = upd * cand + (1 - upd) * OUT[L.hprev + bt * D + j];
        }
        for (let j = 0; j < H; j++) {
          let a = 0;
          for (let i = 0; i < D; i++) a += OUT[L.deter + bt * D + i] * WO[i * H + j];
          OUT[L.aobs + bt * H + j] = Math.fround(a) + EMB[bt * H + j];
          OUT[L.xobs + bt * H + j] = act(OUT[L.aobs + bt * H + j], 1, 0);
        }
        for (let c = 0; c < Z; c++) {
          let a = 0;
          for (let j = 0; j < H; j++) a += OUT[L.xobs + bt * H + j] * WP[j * Z + c];
          OUT[L.probs + bt * Z + c] = Math.fround(a) + BP[c];
        }
        // the sampler on each group's logits (categorical_sample's CPU reference), probs in their place
        const lo = (p.o0 + t * p.ostep) >>> 0;
        const o1 = (p.o1 + (lo < p.o0 ? 1 : 0)) >>> 0;
        for (let sv = 0; sv < S; sv++) {
          const base = L.probs + bt * Z + sv * C;
          const sb = L.stoch + bt * Z + sv * C;
          const row = b * S + sv;
          let m = -Infinity;
          for (let c = 0; c < C; c++) m = Math.max(m, OUT[base + c]);
          if (!Number.isFinite(m)) {
            OUT.fill(NaN, base, base + C);
            OUT.fill(NaN, sb, sb + C);
            continue;
          }
          let se = 0;
          for (let c = 0; c < C; c++) se += Math.exp(OUT[base + c] - m);
          const j = Math.floor(row / 4);
          philoxInto(j >>> 0, 0, lo, o1, p.k0, p.k1, w);
          const k = sampleRowFixed(OUT, base, C, p.q, p.M, w[row & 3] >>> 8);
          for (let c = 0; c < C; c++) {
            OUT[base + c] = ((1 - p.unimix) * Math.exp(OUT[base + c] - m)) / se + fl;
            OUT[sb + c] = c === k ? 1 : 0;
          }
        }
      }
    }
  },
});

registerKernel({
  name: 'observe_scan',
  backend: 'webgpu',
  source: (p: ScanForwardParams) => {
    const v4 = vec4Of(p);
    const mv = (m: Pick<MatVec, 'v' | 'rows' | 'cols' | 'w' | 'dst' | 'init'>) => matvec({ ...m, kind: 'cols', load: 'ldo', store: 'sto', dload: 'ldo' }, v4, sgOf(p));
    return withSg(
      p,
      ieeeSource +
      unaryGradHelpers +
      withSampler(fwdSource)
        .replace('{{ACT}}', unaryWgsl(p.act))
        .replace('{{RB}}', String(rbOf(p)))
        .replace('{{VT}}', v4 ? 'vec4<f32>' : 'f32')
        .replaceAll('{{WT}}', v4 ? 'vec4<f32>' : 'f32')
        .replace('{{ACCESS}}', accessors('OUT', 'ldo', 'sto', v4))
        .replace('{{MV_IN}}', mv({ v: 'u.oZprev + $bt * Z', rows: 'Z', cols: 'H', w: 'WZ', dst: 'u.oAin + $bt * H' }))
        .replace('{{MV_PRE_X}}', mv({ v: 'u.oXin + $bt * H', rows: 'H', cols: 'G3', w: 'WX', dst: 'u.oPre + $bt * G3' }))
        .replace('{{MV_PRE_H}}', mv({ v: 'u.oHprev + $bt * D', rows: 'D', cols: 'G3', w: 'WH', dst: 'u.oPre + $bt * G3', init: true }))
        .replace('{{MV_OBS}}', mv({ v: 'u.oDeter + $bt * D', rows: 'D', cols: 'H', w: 'WO', dst: 'u.oAobs + $bt * H' }))
        .replace('{{MV_POST}}', mv({ v: 'u.oXobs + $bt * H', rows: 'H', cols: 'Z', w: 'WP', dst: 'u.oProbs + $bt * Z' })),
    );
  },
  variant: (p: ScanForwardParams) => `${p.act}:${formOf(p)}:${rbOf(p)}`,
  constants: () => ({ WG }),
  uniforms: (p: ScanForwardParams) => [
    ['u32', p.B],
    ['u32', p.T],
    ['u32', p.D],
    ['u32', p.H],
    ['u32', p.S],
    ['u32', p.C],
    ['u32', p.q],
    ['u32', p.M],
    ['u32', p.k0],
    ['u32', p.k1],
    ['u32', p.o0],
    ['u32', p.o1],
    ['u32', p.ostep],
    ['u32', p.hasStart ? 1 : 0],
    ['f32', p.unimix],
    ['f32', p.eps],
    ['f32', p.updateBias],
    ['u32', p.L.deter],
    ['u32', p.L.stoch],
    ['u32', p.L.hprev],
    ['u32', p.L.zprev],
    ['u32', p.L.ain],
    ['u32', p.L.xin],
    ['u32', p.L.pre],
    ['u32', p.L.stats],
    ['u32', p.L.aobs],
    ['u32', p.L.xobs],
    ['u32', p.L.probs],
  ],
  dispatch: (p: ScanForwardParams) => [Math.ceil(p.B / rbOf(p))],
});

// Inputs [dDeter, dStoch, SV (the forward's OUT), isFirst, Wz, Wx, Wh, gamma, beta, Wo, Wp], output [GO];
// see observe-scan-backward.wgsl.
registerKernel({
  name: 'observe_scan_backward',
  backend: 'cpu',
  run([DH, DZ, SV, FIRST, WZ, WX, WH, G, BT, WO, WP], [GO], p: ScanBackwardParams) {
    const { B, T, D, H, S, C, L, G: O } = p;
    const Z = S * C;
    const G3 = 3 * D;
    const ag = unaryGradCpu(p.act);
    const fl = Math.fround(p.unimix) / C;
    const dn = new Float64Array(G3);
    for (let b = 0; b < B; b++) {
      GO.fill(0, O.gamma + b * G3, O.gamma + (b + 1) * G3);
      GO.fill(0, O.beta + b * G3, O.beta + (b + 1) * G3);
      GO.fill(0, O.h0 + b * D, O.h0 + (b + 1) * D);
      GO.fill(0, O.z0 + b * Z, O.z0 + (b + 1) * Z);
      for (let t = T - 1; t >= 0; t--) {
        const bt = b * T + t;
        const zeroStart = t === 0 && !p.hasStart;
        const keep = 1 - FIRST[bt];
        for (let sv = 0; sv < S; sv++) {
          const pb = L.probs + bt * Z + sv * C;
          const db = bt * Z + sv * C;
          const cb = O.z0 + b * Z + sv * C;
          let dot = 0;
          for (let c = 0; c < C; c++) dot += Math.max(SV[pb + c] - fl, 0) * Math.fround(DZ[db + c] + GO[cb + c]);
          dot /= 1 - p.unimix;
          for (let c = 0; c < C; c++) GO[O.logits + db + c] = Math.max(SV[pb + c] - fl, 0) * (Math.fround(DZ[db + c] + GO[cb + c]) - dot);
        }
        for (let j = 0; j < H; j++) {
          let v = 0;
          for (let c = 0; c < Z; c++) v += GO[O.logits + bt * Z + c] * WP[j * Z + c];
          GO[O.aobs + bt * H + j] = ag(SV[L.aobs + bt * H + j], Math.fround(v), 1, 0);
        }
        for (let i = 0; i < D; i++) {
          let v = 0;
          for (let j = 0; j < H; j++) v += GO[O.aobs + bt * H + j] * WO[i * H + j];
          GO[O.h0 + b * D + i] = Math.fround(DH[bt * D + i] + GO[O.h0 + b * D + i]) + Math.fround(v);
        }
        const pr = L.pre + bt * G3;
        const gp = O.pre + bt * G3;
        const mean = SV[L.stats + 2 * bt];
        const rstd = SV[L.stats + 2 * bt + 1];
        let s1 = 0;
        let s2 = 0;
        for (let j = 0; j < D; j++) {
          const nr = (SV[pr + j] - mean) * rstd;
          const nc = (SV[pr + D + j] - mean) * rstd;
          const nu = (SV[pr + 2 * D + j] - mean) * rstd;
          const pc = nc * G[D + j] + BT[D + j];
          const r = sigmoid(nr * G[j] + BT[j]);
          const cand = Math.tanh(r * pc);
          const upd = sigmoid(nu * G[2 * D + j] + BT[2 * D + j] + p.updateBias);
          const d = GO[O.h0 + b * D + j];
          const dz = d * upd * (1 - cand * cand);
          const dps = [dz * pc * r * (1 - r), dz * r, d * (cand - SV[L.hprev + bt * D + j]) * upd * (1 - upd)];
          const ns = [nr, nc, nu];
          for (let k = 0; k < 3; k++) {
            const c = j + k * D;
            GO[O.gamma + b * G3 + c] += dps[k] * ns[k];
            GO[O.beta + b * G3 + c] += dps[k];
            dn[c] = dps[k] * G[c];
            s1 += dn[c];
            s2 += dn[c] * ns[k];
          }
          GO[O.h0 + b * D + j] = d * (1 - upd);
        }
        s1 /= G3;
        s2 /= G3;
        for (let c = 0; c < G3; c++) GO[gp + c] = rstd * (dn[c] - s1 - ((SV[pr + c] - mean) * rstd) * s2);
        for (let j = 0; j < H; j++) {
          let v = 0;
          for (let c = 0; c < G3; c++) v += GO[gp + c] * WX[j * G3 + c];
          GO[O.ain + bt * H + j] = ag(SV[L.ain + bt * H + j], Math.fround(v), 1, 0);
        }
        for (let i = 0; i < D; i++) {
          let v = 0;
          for (let c = 0; c < G3; c++) v += GO[gp + c] * WH[i * G3 + c];
          GO[O.h0 + b * D + i] = Math.fround(GO[O.h0 + b * D + i] + Math.fround(v)) * keep;
        }
        for (let k = 0; k < Z; k++) {
          let v = 0;
          if (!zeroStart) for (let j = 0; j < H; j++) v += GO[O.ain + bt * H + j] * WZ[k * H + j];
          GO[O.z0 + b * Z + k] = Math.fround(v) * keep;
        }
      }
    }
  },
});

registerKernel({
  name: 'observe_scan_backward',
  backend: 'webgpu',
  source: (p: ScanBackwardParams) => {
    const v4 = vec4Of(p);
    const mv = (m: Pick<MatVec, 'v' | 'rows' | 'cols' | 'w' | 'dst' | 'init'>) => matvec({ ...m, kind: 'rows', load: 'ldg', store: 'stg', dload: 'ldg' }, v4, sgOf(p));
    return withSg(
      p,
      ieeeSource +
      unaryGradHelpers +
      bwdSource
        .replace('{{ACTG}}', unaryGradWgsl(p.act))
        .replace('{{RB}}', String(rbOf(p)))
        .replace('{{VT}}', v4 ? 'vec4<f32>' : 'f32')
        .replace('{{VT}}', v4 ? 'vec4<f32>' : 'f32')
        .replaceAll('{{WT}}', v4 ? 'vec4<f32>' : 'f32')
        .replace('{{ACCESS}}', accessors('SV', 'lds', null, v4) + '\n' + accessors('GO', 'ldg', 'stg', v4))
        .replace('{{MV_POST}}', mv({ v: 'u.gLog + $bt * Z', rows: 'H', cols: 'Z', w: 'WP', dst: 'u.gAobs + $bt * H' }))
        .replace('{{MV_OBS}}', mv({ v: 'u.gAobs + $bt * H', rows: 'D', cols: 'H', w: 'WO', dst: 'u.gH + $b * D', init: true }))
        .replace('{{MV_IN}}', mv({ v: 'u.gPre + $bt * G3', rows: 'H', cols: 'G3', w: 'WX', dst: 'u.gAin + $bt * H' }))
        .replace('{{MV_HP}}', mv({ v: 'u.gPre + $bt * G3', rows: 'D', cols: 'G3', w: 'WH', dst: 'u.gH + $b * D', init: true }))
        .replace('{{MV_Z}}', mv({ v: 'u.gAin + $bt * H', rows: 'Z', cols: 'H', w: 'WZ', dst: 'u.gZ + $b * Z' })),
    );
  },
  variant: (p: ScanBackwardParams) => `${p.act}:${formOf(p)}:${rbOf(p)}`,
  constants: () => ({ WG }),
  uniforms: (p: ScanBackwardParams) => [
    ['u32', p.B],
    ['u32', p.T],
    ['u32', p.D],
    ['u32', p.H],
    ['u32', p.S],
    ['u32', p.C],
    ['u32', p.hasStart ? 1 : 0],
    ['f32', p.unimix],
    ['f32', p.updateBias],
    ['u32', p.L.hprev],
    ['u32', p.L.ain],
    ['u32', p.L.pre],
    ['u32', p.L.stats],
    ['u32', p.L.aobs],
    ['u32', p.L.probs],
    ['u32', p.G.ain],
    ['u32', p.G.aobs],
    ['u32', p.G.logits],
    ['u32', p.G.pre],
    ['u32', p.G.gamma],
    ['u32', p.G.beta],
    ['u32', p.G.h0],
    ['u32', p.G.z0],
    ['u32', p.G.sums],
  ],
  dispatch: (p: ScanBackwardParams) => [Math.ceil(p.B / rbOf(p))],
});
