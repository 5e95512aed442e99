/**
 * The conv kernels: CPU references (plain loops, f64 accumulation) and WGSL specs. See geometry.ts for the
 * B / S / F relation that all of them share, and the .wgsl files for the register-blocking scheme.
 *
 *   conv_down         inputs [B, F, bias|F]  outputs [S]        S = conv(B, F) + bias
 *   conv_up           inputs [S, F, bias|F]  outputs [B]        B = conv^T(S, F) + bias
 *   conv_filter       inputs [B, S]          outputs [Out]      Out[g] = filter gradient summed over pixel chunk g
 *   conv_sum_partials inputs [P]             outputs [Out]      Out[i] = sum_g P[g, i]
 *   conv_bias_grad    inputs [Dy]            outputs [Out]      Out[g, c] = sum over row chunk g of Dy[m, c]
 *
 * The WGSL shaders are templates: tile sizes (pixels and channels per invocation) fix how many registers an
 * invocation uses, so the per-tile statements are generated here and substituted for {{MARKERS}}.
 */
import { registerKernel, type Device, type UniformField } from '../core/registry.js';
import { ceilDiv, grid1d, MAX_GROUPS } from '../webgpu/grid.js';
import type { ConvGeom } from './geometry.js';
import downSource from './conv-down.wgsl';
import upSource from './conv-up.wgsl';
import upRunSource from './conv-up-run.wgsl';
import filterSource from './conv-filter.wgsl';
import sumSource from './conv-sum.wgsl';
import biasGradSource from './bias-grad.wgsl';

/**
 * A dispatch's geometry for profiles (WgslKernel.describe): N, the big image HB x WB x CB and the small HS x WS x CS
 * of geometry.ts (conv2d: input and output; conv-transpose2d: output and input), the filter KH x KW, the stride.
 */
const geomText = (g: ConvGeom) => `N${g.N} ${g.HB}x${g.WB}x${g.CB} <-> ${g.HS}x${g.WS}x${g.CS} k${g.KH}x${g.KW} s${g.sH}`;

export interface ConvParams {
  g: ConvGeom;
  hasBias: boolean;
  /** The device runs subgroups of >= 8 invocations (WGSL kernels may share loads with subgroupBroadcast). */
  sg: boolean;
}

export interface FilterParams {
  g: ConvGeom;
  /** As in ConvParams. */
  sg: boolean;
  /** The device's SIMD width, its smallest subgroup (deviceLanes): the filter gradient's workgroup size. */
  lanes: number;
  /** Pixels (n, oh, ow) per partial sum; G = ceil(N*HS*WS / chunk) partials. */
  chunk: number;
  G: number;
}

export interface SumParams {
  /** Elements per partial. */
  L: number;
  G: number;
}

export interface BiasGradParams {
  /** Rows (all dims but the last) and channels. */
  M: number;
  C: number;
  chunk: number;
  G: number;
}

interface SubgroupInfo {
  /** The adapter has the 'subgroups' feature and subgroups of at least 8 invocations. */
  sg8: boolean;
  /** Its smallest subgroup size (its SIMD width) when it says, else 8; at least 8. */
  lanes: number;
}

const sgCache = new WeakMap<Device, SubgroupInfo>();

function subgroupInfo(device: Device): SubgroupInfo {
  let v = sgCache.get(device);
  if (v === undefined) {
    const gpu = (device as { gpu?: GPUDevice }).gpu;
    const min = (gpu as { adapterInfo?: { subgroupMinSize?: number } } | undefined)?.adapterInfo?.subgroupMinSize;
    const known = device.backend === 'webgpu' && typeof min === 'number';
    v = { sg8: known && !!gpu?.features?.has('subgroups') && min >= 8, lanes: known && min > 8 && min <= 128 ? min : 8 };
    sgCache.set(device, v);
  }
  return v;
}

/**
 * Whether a device runs WGSL subgroups of at least 8 invocations (the kernels then share filter loads across a
 * subgroup with subgroupBroadcast). False on the CPU backend and on adapters without the 'subgroups' feature.
 */
export function deviceSubgroups8(device: Device): boolean {
  return subgroupInfo(device).sg8;
}

/**
 * The device's smallest subgroup size (its SIMD width: 8 on llvmpipe with AVX2, 32 on NVIDIA), at least 8; 8 where
 * the adapter does not say (the CPU backend, adapters without subgroup info).
 */
export function deviceLanes(device: Device): number {
  return subgroupInfo(device).lanes;
}

// ---------------------------------------------------------------------------------------------------------------
// CPU references

/**
 * A tap outside the input (zero padding) adds 0 * w to the sum, which is 0 unless w is not finite: then NaN, as
 * the WGSL kernels, which multiply the padding's zeros, give. The reference skips those taps and adds only these
 * terms, and only when the filter holds a non-finite weight (null otherwise: no cost).
 */
function padTerms(F: ArrayLike<number>, KW: number, CB: number, CS: number): ((acc: Float64Array, kh: number, kw: number) => void) | null {
  if (Array.prototype.every.call(F, Number.isFinite)) return null;
  return (acc, kh, kw) => {
    const fb = (kh * KW + kw) * CB * CS;
    for (let cb = 0; cb < CB; cb++) for (let cs = 0; cs < CS; cs++) acc[cs] += 0 * F[fb + cb * CS + cs];
  };
}

/** padTerms for conv_up, whose sums run over CS into acc[CB]. */
function padTermsUp(F: ArrayLike<number>, KW: number, CB: number, CS: number): ((acc: Float64Array, kh: number, kw: number) => void) | null {
  if (Array.prototype.every.call(F, Number.isFinite)) return null;
  return (acc, kh, kw) => {
    const fb = (kh * KW + kw) * CB * CS;
    for (let cb = 0; cb < CB; cb++) for (let cs = 0; cs < CS; cs++) acc[cb] += 0 * F[fb + cb * CS + cs];
  };
}

registerKernel({
  name: 'conv_down',
  backend: 'cpu',
  run([X, F, Bias], [Y], p: ConvParams) {
    const { N, HB, WB, CB, HS, WS, CS, KH, KW, sH, sW, pT, pL } = p.g;
    const acc = new Float64Array(CS);
    const pad = padTerms(F, KW, CB, CS);
    for (let n = 0; n < N; n++) {
      for (let oh = 0; oh < HS; oh++) {
        for (let ow = 0; ow < WS; ow++) {
          for (let cs = 0; cs < CS; cs++) acc[cs] = p.hasBias ? Bias[cs] : 0;
          for (let kh = 0; kh < KH; kh++) {
            const ih = oh * sH + kh - pT;
            for (let kw = 0; kw < KW; kw++) {
              const iw = ow * sW + kw - pL;
              if (ih < 0 || ih >= HB || iw < 0 || iw >= WB) {
                pad?.(acc, kh, kw);
                continue;
              }
              const xb = ((n * HB + ih) * WB + iw) * CB;
              const fb = (kh * KW + kw) * CB * CS;
              for (let cb = 0; cb < CB; cb++) {
                const xv = X[xb + cb];
                const fr = fb + cb * CS;
                for (let cs = 0; cs < CS; cs++) acc[cs] += xv * F[fr + cs];
              }
            }
          }
          const yb = ((n * HS + oh) * WS + ow) * CS;
          for (let cs = 0; cs < CS; cs++) Y[yb + cs] = acc[cs];
        }
      }
    }
  },
});

registerKernel({
  name: 'conv_up',
  backend: 'cpu',
  run([S, F, Bias], [Y], p: ConvParams) {
    const { N, HB, WB, CB, HS, WS, CS, KH, KW, sH, sW, pT, pL } = p.g;
    const acc = new Float64Array(CB);
    const padUp = padTermsUp(F, KW, CB, CS);
    for (let n = 0; n < N; n++) {
      for (let ih = 0; ih < HB; ih++) {
        for (let iw = 0; iw < WB; iw++) {
          for (let cb = 0; cb < CB; cb++) acc[cb] = p.hasBias ? Bias[cb] : 0;
          for (let kh = 0; kh < KH; kh++) {
            const th = ih + pT - kh;
            const oh = th / sH;
            for (let kw = 0; kw < KW; kw++) {
              const tw = iw + pL - kw;
              if (th % sH !== 0 || tw % sW !== 0) continue; // a stride hole: no term (the WGSL skips it too)
              if (th < 0 || oh >= HS || tw < 0 || tw / sW >= WS) {
                padUp?.(acc, kh, kw);
                continue;
              }
              const ow = tw / sW;
              const sb = ((n * HS + oh) * WS + ow) * CS;
              const fb = (kh * KW + kw) * CB * CS;
              for (let cb = 0; cb < CB; cb++) {
                const fr = fb + cb * CS;
                let s = 0;
                for (let cs = 0; cs < CS; cs++) s += S[sb + cs] * F[fr + cs];
                acc[cb] += s;
              }
            }
          }
          const yb = ((n * HB + ih) * WB + iw) * CB;
          for (let cb = 0; cb < CB; cb++) Y[yb + cb] = acc[cb];
        }
      }
    }
  },
});

registerKernel({
  name: 'conv_filter',
  backend: 'cpu',
  run([X, S], [Out], p: FilterParams) {
    const { N, HB, WB, CB, HS, WS, CS, KH, KW, sH, sW, pT, pL } = p.g;
    const L = KH * KW * CB * CS;
    const M = N * HS * WS;
    const acc = new Float64Array(L);
    const sBad = !Array.prototype.every.call(S, Number.isFinite);
    for (let g = 0; g < p.G; g++) {
      acc.fill(0);
      const mEnd = Math.min((g + 1) * p.chunk, M);
      for (let m = g * p.chunk; m < mEnd; m++) {
        const ow = m % WS;
        const oh = Math.floor(m / WS) % HS;
        const n = Math.floor(m / (WS * HS));
        const sb = m * CS;
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * sH + kh - pT;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * sW + kw - pL;
            const fb = (kh * KW + kw) * CB * CS;
            if (ih < 0 || ih >= HB || iw < 0 || iw >= WB) {
              // the padding's zeros times a non-finite gradient: NaN, as in the WGSL (see padTerms)
              if (sBad) for (let cb = 0; cb < CB; cb++) for (let cs = 0; cs < CS; cs++) acc[fb + cb * CS + cs] += 0 * S[sb + cs];
              continue;
            }
            const xb = ((n * HB + ih) * WB + iw) * CB;
            for (let cb = 0; cb < CB; cb++) {
              const xv = X[xb + cb];
              const fr = fb + cb * CS;
              for (let cs = 0; cs < CS; cs++) acc[fr + cs] += xv * S[sb + cs];
            }
          }
        }
      }
      Out.set(acc, g * L);
    }
  },
});

registerKernel({
  name: 'conv_sum_partials',
  backend: 'cpu',
  run([P], [Out], p: SumParams) {
    for (let i = 0; i < p.L; i++) {
      let s = 0;
      for (let g = 0; g < p.G; g++) s += P[g * p.L + i];
      Out[i] = s;
    }
  },
});

registerKernel({
  name: 'conv_bias_grad',
  backend: 'cpu',
  run([Dy], [Out], p: BiasGradParams) {
    const acc = new Float64Array(p.C);
    for (let g = 0; g < p.G; g++) {
      acc.fill(0);
      const mEnd = Math.min((g + 1) * p.chunk, p.M);
      for (let m = g * p.chunk; m < mEnd; m++) for (let c = 0; c < p.C; c++) acc[c] += Dy[m * p.C + c];
      Out.set(acc, g * p.C);
    }
  },
});

// ---------------------------------------------------------------------------------------------------------------
// Tiling (WGSL only; the results do not depend on it beyond f32 rounding)

/** Tile of one down/up/filter dispatch: P pixels (or filter rows) x C channels per invocation, WG invocations. */
export interface Tile {
  P: number;
  C: number;
  WG: number;
}

/**
 * Tile overrides for benchmarks and tests (undefined: chosen by shape). Not part of the public API.
 * @internal
 */
export const convTuning: {
  down?: Partial<Tile & { SG: boolean }>;
  up?: Partial<Tile & { SG: boolean; R: number }>;
  filter?: Partial<Tile & { SG: boolean; U: number }>;
} = {};

const vecWidth = (c: number): 1 | 4 => (c % 4 === 0 ? 4 : 1);
const elemType = (v: number) => (v === 4 ? 'vec4<f32>' : 'f32');
const range = (n: number) => [...Array(n).keys()];
const comp = (v: number, j: number) => (v === 4 ? `.${'xyzw'[j]}` : '');
const indent = (lines: string[], n: number) => lines.map((l) => ' '.repeat(n) + l).join('\n');

/**
 * Grid [x, pixel groups split over y and z (each <= 65535)]; shaders use wid.y + wid.z * nwg.y. x (the channel
 * blocks) varies fastest, so workgroups that read the same pixels run back to back.
 */
function gridXYZ(x: number, groups: number): [number, number, number] {
  if (x > MAX_GROUPS) throw new Error(`conv: ${x} channel blocks exceed ${MAX_GROUPS} workgroups per dimension`);
  if (groups <= MAX_GROUPS) return [x, groups, 1];
  const z = Math.ceil(groups / MAX_GROUPS);
  return [x, Math.ceil(groups / z), z];
}

function geomUniforms(g: ConvGeom): UniformField[] {
  return [
    ['u32', g.HB],
    ['u32', g.WB],
    ['u32', g.CB],
    ['u32', g.HS],
    ['u32', g.WS],
    ['u32', g.CS],
    ['u32', g.KH],
    ['u32', g.KW],
    ['u32', g.sH],
    ['u32', g.sW],
    ['u32', g.pT],
    ['u32', g.pL],
  ];
}

function fill(src: string, marks: Record<string, string | number>): string {
  let out = src;
  for (const [k, v] of Object.entries(marks)) out = out.replaceAll(`{{${k}}}`, String(v));
  return out;
}

// --- down ---------------------------------------------------------------------------------------------------------

interface DownCfg extends Tile {
  XV: 1 | 4;
  FV: 1 | 4;
  /** Filter rows loaded cooperatively by the 8 lanes of a subgroup and shared with subgroupBroadcast. */
  SG: boolean;
}

/**
 * Workgroup size: 64 lanes (8 SIMD rows on llvmpipe), 16 when a dispatch has at most 16 pixels / rows (a dense
 * layer at small batch). Few distinct sizes on purpose: each override value is a separate pipeline, i.e. a
 * separate (slow, seconds) LLVM compile of the unrolled shader.
 */
const WG = 64;
const wgFor = (rows: number) => (rows <= 16 ? 16 : WG);

/** Rounds a channel block up to a multiple of 4 (vec4 paths). */
const up4 = (c: number) => Math.max(4, Math.ceil(c / 4) * 4);

/**
 * Pixels per invocation for a channel block of C: 32-64 accumulators per invocation. Measured on llvmpipe,
 * throughput saturates around 32-64 accumulators while LLVM's compile time grows linearly with them; at the
 * student encoder's shapes (blocks of 16 channels, 512 frames) 4 pixels ran 10-25% faster than 2.
 */
const pixelsFor = (C: number, pixels: number) => Math.max(1, Math.min(C >= 32 ? 2 : C >= 8 ? 4 : 8, Math.ceil(pixels / WG)));

function downCfg(g: ConvGeom, sg: boolean): DownCfg {
  const XV = vecWidth(g.CB);
  const FV = vecWidth(g.CS);
  const t = convTuning.down ?? {};
  const SG = (t.SG ?? sg) && FV === 4;
  // With scalar B loads (CB % 4 != 0, e.g. RGB input) each gathered value is reused over more channels.
  let C = t.C ?? (FV === 4 ? Math.min(XV === 4 ? 16 : 48, g.CS) : Math.min(8, g.CS));
  if (FV === 4) C = up4(C);
  C = Math.max(1, C);
  // (fewer pixels per invocation when there are few pixels: idle lanes cost as much as busy ones)
  const M = g.N * g.HS * g.WS;
  const P = t.P ?? pixelsFor(C, M);
  return { XV, FV, C, P, SG, WG: t.WG ?? wgFor(M) };
}

/**
 * Cooperative loads of a block of `rows` x `n4` vec4s (row r, column k at `base(r) + k`) by the 8 lanes of a
 * subgroup: gather q has lane l load element q * 8 + l (lanes past the block load a valid duplicate), and element
 * (r, k) is subgroupBroadcast(g_q, l). Returns the per-lane offset lines (loop invariant), the load lines and the
 * expression for each element.
 */
function coopLoads(
  name: string,
  rows: number,
  n4: number,
  rowOff: (r: string) => string,
  load: (off: string) => string,
): { pre: string[]; loads: string[]; elem: (r: number, k: number) => string } {
  const total = rows * n4;
  const nq = Math.ceil(total / 8);
  const pre: string[] = [];
  const loads: string[] = [];
  for (let q = 0; q < nq; q++) {
    pre.push(`let ${name}i${q} = min(${q * 8}u + sgl, ${total - 1}u);`);
    pre.push(`let ${name}o${q} = ${rowOff(`(${name}i${q} / ${n4}u)`)} + ${name}i${q} % ${n4}u;`);
    loads.push(`let ${name}g${q} = ${load(`${name}o${q}`)};`);
  }
  const elem = (r: number, k: number) => {
    const idx = r * n4 + k;
    return `subgroupBroadcast(${name}g${Math.floor(idx / 8)}, ${idx % 8}u)`;
  };
  return { pre, loads, elem };
}

const SG_ENABLE = 'enable subgroups;\n';
/**
 * conv_up's tap loops run over subgroupMin/subgroupMax bounds: uniform within each subgroup (which is all that
 * subgroupBroadcast needs) but not provably workgroup-uniform, which WGSL's uniformity analysis would reject.
 */
const SG_DIAG = 'diagnostic(off, subgroup_uniformity);\n';
const SG_ARG = ', @builtin(subgroup_invocation_id) sgid: u32';

function downGen(c: DownCfg): string {
  const XT = elemType(c.XV);
  const FT = elemType(c.FV);
  const NC = c.C / c.FV;
  const Ps = range(c.P);
  const Cs = range(NC);
  const coop = c.SG ? coopLoads('w', c.XV, NC, (r) => `${r} * CSv`, (o) => `F[fi + ${o}]`) : null;
  const setup = [
    ...(coop ? ['let sgl = sgid % 8u;', ...coop.pre] : []),
    ...Ps.flatMap((p) => [
      `let m${p} = min(mBase + ${p}u * WG, u.M - 1u);`,
      `let ow${p} = m${p} % u.WS;`,
      `let q${p} = m${p} / u.WS;`,
      `let nb${p} = (q${p} / u.HS) * u.HB;`,
      `let ih0${p} = i32((q${p} % u.HS) * u.sH) - i32(u.pT);`,
      `let iw0${p} = i32(ow${p} * u.sW) - i32(u.pL);`,
      ...Cs.map((k) => `var a${p}_${k} = ${FT}(0.0);`),
    ]),
  ];
  const row = Ps.flatMap((p) => [
    `let ih${p} = ih0${p} + i32(kh);`,
    `let okh${p} = ih${p} >= 0 && ih${p} < i32(u.HB);`,
    `let rb${p} = (nb${p} + u32(ih${p})) * u.WB;`,
  ]);
  const col = Ps.flatMap((p) => [
    `let iw${p} = iw0${p} + i32(kw);`,
    `let ok${p} = okh${p} && iw${p} >= 0 && iw${p} < i32(u.WB);`,
    `let xb${p} = select(0u, (rb${p} + u32(iw${p})) * CBv, ok${p});`,
  ]);
  const body = [
    ...Ps.map((p) => `let x${p} = select(${XT}(0.0), X[xb${p} + cb], ok${p});`),
    ...(coop ? coop.loads : []),
    ...range(c.XV).flatMap((j) => [
      ...Cs.map((k) => `let w${j}_${k} = ${coop ? coop.elem(j, k) : `F[fi${j ? ` + ${j}u * CSv` : ''} + ${k}u]`};`),
      ...Ps.flatMap((p) => Cs.map((k) => `a${p}_${k} = fma(${FT}(x${p}${comp(c.XV, j)}), w${j}_${k}, a${p}_${k});`)),
    ]),
  ];
  // Stores: a loop over the P pixels whose trip count is a uniform (tileP = P), so LLVM keeps one copy of the
  // store code (every memory access site is a per-lane loop on llvmpipe; unrolled stores compile ~3x slower).
  // The pixel's accumulators are picked with select chains (register moves).
  const store = [
    // bias of the channel block, loaded once (Bias is F again when there is none: read, then discarded)
    ...Cs.map((k) => `let bb${k} = select(${FT}(0.0), Bias[cs0 + ${k}u], u.hasBias != 0u);`),
    `for (var p = 0u; p < u.tileP; p++) {`,
    ...Cs.flatMap((k) => [`  var v${k} = a0_${k};`, ...Ps.slice(1).map((q) => `  v${k} = select(v${k}, a${q}_${k}, p == ${q}u);`)]),
    `  let m = mBase + p * WG;`,
    `  if (m < u.M) {`,
    `    let yb = m * CSv + cs0;`,
    ...Cs.map((k) => `    if (cs0 + ${k}u < CSv) { Y[yb + ${k}u] = v${k} + bb${k}; }`),
    `  }`,
    `}`,
  ];
  return fill(downSource, {
    ENABLE: c.SG ? SG_ENABLE : '',
    SGARG: c.SG ? SG_ARG : '',
    XT,
    FT,
    XV: c.XV,
    FV: c.FV,
    C: c.C,
    P: c.P,
    SETUP: indent(setup, 2),
    ROW: indent(row, 4),
    COL: indent(col, 6),
    BODY: indent(body, 8),
    STORE: indent(store, 2),
  });
}

registerKernel({
  name: 'conv_down',
  backend: 'webgpu',
  describe: (p: ConvParams) => geomText(p.g),
  source: (p: ConvParams) => downGen(downCfg(p.g, p.sg)),
  variant: (p: ConvParams) => {
    const c = downCfg(p.g, p.sg);
    return `x${c.XV}f${c.FV}c${c.C}p${c.P}${c.SG ? 'sg' : ''}`;
  },
  constants: (p: ConvParams) => ({ WG: downCfg(p.g, p.sg).WG }),
  uniforms: (p: ConvParams) => [...geomUniforms(p.g), ['u32', p.g.N * p.g.HS * p.g.WS], ['u32', p.hasBias ? 1 : 0], ['u32', downCfg(p.g, p.sg).P], ['u32', 0]],
  dispatch: (p: ConvParams) => {
    const c = downCfg(p.g, p.sg);
    return gridXYZ(ceilDiv(p.g.CS, c.C), ceilDiv(p.g.N * p.g.HS * p.g.WS, c.WG * c.P));
  },
});

// --- up -----------------------------------------------------------------------------------------------------------

interface UpCfg extends Tile {
  SV: 1 | 4;
  /** Width of the stores (and bias loads) along cb: 4 when CB and C are multiples of 4. */
  YV: 1 | 4;
  SG: boolean;
  /**
   * Runs (conv-up-run.wgsl): each invocation computes R neighbouring output pixels along w of one phase and reads
   * the R + TW - 1 S columns they share (0: conv-up.wgsl's P pixels strided over the batch). P = R then.
   */
  R: number;
  /** With runs: taps per phase along w, ceil(KW / sW), and whether some phases have one fewer (KW % sW != 0). */
  TW: number;
  gate: boolean;
}

function upCfg(g: ConvGeom, sg: boolean): UpCfg {
  const SV = vecWidth(g.CS);
  const t = convTuning.up ?? {};
  const SG = (t.SG ?? sg) && SV === 4;
  const C = Math.max(1, t.C ?? (g.CB >= 16 ? 16 : g.CB % 4 === 0 ? g.CB : Math.min(8, g.CB)));
  const YV = g.CB % 4 === 0 && C % 4 === 0 ? 4 : 1;
  const TW = ceilDiv(g.KW, g.sW);
  // Runs for a few output channels (the decoder's RGB layer): measured on llvmpipe (AMD EPYC AVX2, 2 cores, idle,
  // 2026-12-04; a timing loop over convTuning.up settings, not kept - `node benchmarks/profile.mjs --modality image
  // --by-grid` shows the layer's dispatch) at N 800, 30x30x16 -> 64x64x3, k6 s2: 817-911 ms per call in conv-up.wgsl (P 8), 627-678 with runs
  // of 3, 684-740 of 4, 700-780 of 2, 5 or 6; with 16 output channels (13x13x32 -> 30x30x16) runs were 1.6-1.9x
  // slower (TW x C filter vectors per step no longer fit in registers), so only C <= 4 takes them. A quick image
  // trainStep (`node benchmarks/run.mjs rssm "quick image" --no-torch --reps 4`, interleaved builds): 8.29 / 8.07 s
  // with runs, 8.75 / 8.49 s without.
  const R = Math.max(0, Math.min(t.R ?? (SG && C <= 4 && TW >= 2 ? 3 : 0), ceilDiv(g.WB, g.sW)));
  if (R > 0) {
    const runs = g.N * ceilDiv(g.HB, g.sH) * ceilDiv(ceilDiv(g.WB, g.sW), R);
    return { SV, YV, C, P: R, SG, WG: t.WG ?? wgFor(runs), R, TW, gate: g.KW % g.sW !== 0 };
  }
  const perPhase = g.N * ceilDiv(g.HB, g.sH) * ceilDiv(g.WB, g.sW);
  const P = t.P ?? pixelsFor(C, perPhase);
  return { SV, YV, C, P, SG, WG: t.WG ?? wgFor(perPhase), R: 0, TW, gate: false };
}

/** conv-up-run.wgsl's generated statements (see its header): R pixels along w per invocation, R + TW - 1 S columns. */
function upRunGen(c: UpCfg): string {
  const ST = elemType(c.SV);
  const { R, TW, C } = c;
  const TW1 = TW - 1;
  const Rs = range(R);
  const Cs = range(C);
  const Ds = range(R + TW1);
  const tapCol = (tw: string) => `min(kw0 + ${tw} * u.sW, u.KW - 1u)`; // a phase's missing last tap reads a valid index
  // The TW x C filter vectors of a step (tap tw, channel k as row tw * C + k), shared over the subgroup; the
  // offsets within the tap row kh (fkh, set per th) are loop invariant.
  const coop = c.SG
    ? coopLoads('f', TW * C, 1, (r) => `((${tapCol(`(${r} / ${C}u)`)}) * u.CB + cb0 + ${r} % ${C}u) * CSv`, (o) => `F[fkh + ${o} + cs]`)
    : null;
  const setup = [
    ...Rs.flatMap((p) => Cs.map((k) => `var a${p}_${k} = 0.0;`)),
    `let hasLast = nTwU == ${TW}u;`,
    ...(coop ? ['let sgl = sgid % 8u;', ...coop.pre] : []),
  ];
  const taps = c.SG
    ? ['let thLo = subgroupMin(max(0, ohb - i32(u.HS) + 1));', 'let thHi = subgroupMax(min(nTh - 1, ohb));']
    : ['let thLo = 0;', 'let thHi = nTh - 1;'];
  const row = [
    ...Ds.flatMap((d) => [
      `let c${d} = cw + ${d};`,
      `let ok${d} = okh && c${d} >= 0 && c${d} < i32(u.WS);`,
      `let sb${d} = select(0u, (rb + u32(max(c${d}, 0))) * CSv, ok${d});`,
    ]),
    ...(coop ? ['let fkh = kh * u.KW * u.CB * CSv;'] : range(TW).map((tw) => `let fr${tw} = ((kh * u.KW + ${tapCol(`${tw}u`)}) * u.CB + cb0) * CSv;`)),
  ];
  const mac = (a: string, s: string, f: string, gated: boolean) => {
    const term = c.SV === 4 ? `dot(${s}, ${f})` : `${s} * ${f}`;
    return gated ? `${a} += select(0.0, ${term}, hasLast);` : c.SV === 4 ? `${a} += ${term};` : `${a} = fma(${s}, ${f}, ${a});`;
  };
  const body = [
    ...(coop ? coop.loads : []),
    ...range(TW).flatMap((tw) => Cs.map((k) => `let f${tw}_${k} = ${coop ? coop.elem(tw * C + k, 0) : `F[fr${tw}${k ? ` + ${k}u * CSv` : ''} + cs]`};`)),
    ...Ds.flatMap((d) => [
      `let s${d} = select(${ST}(0.0), S[sb${d} + cs], ok${d});`,
      ...range(TW).flatMap((tw) => {
        const p = d + tw - TW1;
        if (p < 0 || p >= R) return [];
        return Cs.map((k) => mac(`a${p}_${k}`, `s${d}`, `f${tw}_${k}`, c.gate && tw === TW1));
      }),
    ]),
  ];
  const YV = c.YV;
  const Ks = range(C / YV);
  const YT = elemType(YV);
  const packed = (k: number) => (YV === 4 ? `vec4<f32>(${range(4).map((i) => `v${4 * k + i}`).join(', ')})` : `v${k}`);
  const store = [
    ...Ks.map((k) => `let bb${k} = select(${YT}(0.0), Bias[cb0 / ${YV}u + ${k}u], u.hasBias != 0u);`),
    // a loop with an opaque trip count (tileP = R): one copy of the store code (as conv-up.wgsl)
    `for (var p = 0u; p < u.tileP; p++) {`,
    ...Cs.flatMap((k) => [`  var v${k} = a0_${k};`, ...Rs.slice(1).map((q) => `  v${k} = select(v${k}, a${q}_${k}, p == ${q}u);`)]),
    `  let j = j0 + p;`,
    `  if (gr < Gp && j < nw) {`,
    `    let yb = ((n * u.HB + ph + u.sH * i) * u.WB + pw + u.sW * j) * u.CB + cb0;`,
    ...Ks.map((k) => `    if (cb0 + ${k * YV}u < u.CB) { Y[yb / ${YV}u + ${k}u] = ${packed(k)} + bb${k}; }`),
    `  }`,
    `}`,
  ];
  return fill(upRunSource, {
    ENABLE: c.SG ? SG_ENABLE : '',
    DIAG: c.SG ? SG_DIAG : '',
    SGARG: c.SG ? SG_ARG : '',
    ST,
    SV: c.SV,
    YT,
    C,
    R,
    TW1,
    SETUP: indent(setup, 2),
    TAPS: indent(taps, 2),
    ROW: indent(row, 4),
    BODY: indent(body, 6),
    STORE: indent(store, 2),
  });
}

function upGen(c: UpCfg): string {
  const ST = elemType(c.SV);
  const Ps = range(c.P);
  const Cs = range(c.C);
  // The C filter vectors F[kh,kw,cb0+k,cs] (k < C) of one step, shared over the subgroup.
  const coop = c.SG ? coopLoads('f', c.C, 1, (r) => `${r} * CSv`, (o) => `F[fi + ${o} + cs]`) : null;
  const setup = [
    ...(coop ? ['let sgl = sgid % 8u;', ...coop.pre] : []),
    ...Ps.flatMap((p) => [
      // pixel m of the phase, batch-fastest: n = m % N, (i, j) = (q / nw, q % nw) with q = m / N
      `let m${p} = min(mBase + ${p}u * WG, Mp - 1u);`,
      `let n${p} = m${p} % u.N;`,
      `let q${p} = m${p} / u.N;`,
      `let ohb${p} = qh + i32(q${p} / nw);`,
      `let owb${p} = qw + i32(q${p} % nw);`,
      ...Cs.map((k) => `var a${p}_${k} = 0.0;`),
    ]),
  ];
  // Tap ranges: oh = ohb - th must lie in [0, HS), i.e. th in [ohb - HS + 1, ohb] (and within [0, nTh)).
  const range2 = (v: 'h' | 'w', base: string, lim: string) =>
    c.SG
      ? [
          `var t${v}L = n${v === 'h' ? 'Th' : 'Tw'};`,
          `var t${v}H = -1;`,
          ...Ps.flatMap((p) => [`t${v}L = min(t${v}L, max(0, ${base}${p} - i32(${lim}) + 1));`, `t${v}H = max(t${v}H, min(n${v === 'h' ? 'Th' : 'Tw'} - 1, ${base}${p}));`]),
          `let t${v}Lo = subgroupMin(t${v}L);`,
          `let t${v}Hi = subgroupMax(t${v}H);`,
        ]
      : [`let t${v}Lo = 0;`, `let t${v}Hi = n${v === 'h' ? 'Th' : 'Tw'} - 1;`];
  const taps = [...range2('h', 'ohb', 'u.HS'), ...range2('w', 'owb', 'u.WS')];
  const row = Ps.flatMap((p) => [
    `let oh${p} = ohb${p} - th;`,
    `let okh${p} = oh${p} >= 0 && oh${p} < i32(u.HS);`,
    `let rb${p} = (n${p} * u.HS + u32(oh${p})) * u.WS;`,
  ]);
  const col = Ps.flatMap((p) => [
    `let ow${p} = owb${p} - tw;`,
    `let ok${p} = okh${p} && ow${p} >= 0 && ow${p} < i32(u.WS);`,
    `let sb${p} = select(0u, (rb${p} + u32(ow${p})) * CSv, ok${p});`,
  ]);
  const mac = c.SV === 4 ? (a: string, s: string, f: string) => `${a} += dot(${s}, ${f});` : (a: string, s: string, f: string) => `${a} = fma(${s}, ${f}, ${a});`;
  const body = [
    ...Ps.map((p) => `let s${p} = select(${ST}(0.0), S[sb${p} + cs], ok${p});`),
    ...(coop ? coop.loads : []),
    ...Cs.map((k) => `let f${k} = ${coop ? coop.elem(k, 0) : `F[fi${k ? ` + ${k}u * CSv` : ''} + cs]`};`),
    ...Ps.flatMap((p) => Cs.map((k) => mac(`a${p}_${k}`, `s${p}`, `f${k}`))),
  ];
  // Stores (and the bias) as vec4 along cb when the block allows it.
  const YV = c.YV;
  const Ks = range(c.C / YV);
  const packed = (p: number, k: number) => (YV === 4 ? `vec4<f32>(${range(4).map((i) => `a${p}_${4 * k + i}`).join(', ')})` : `a${p}_${k}`);
  const YT = elemType(YV);
  // Stores in a loop with an opaque trip count (tileP = P), as in conv_down.
  const store = [
    ...Ks.map((k) => `let bb${k} = select(${YT}(0.0), Bias[cb0 / ${YV}u + ${k}u], u.hasBias != 0u);`),
    `for (var p = 0u; p < u.tileP; p++) {`,
    ...Cs.flatMap((k) => [`  var v0_${k} = a0_${k};`, ...Ps.slice(1).map((q) => `  v0_${k} = select(v0_${k}, a${q}_${k}, p == ${q}u);`)]),
    `  let m = mBase + p * WG;`,
    `  if (m < Mp) {`,
    `    let q = m / u.N;`,
    `    let yb = (((m % u.N) * u.HB + ph + u.sH * (q / nw)) * u.WB + pw + u.sW * (q % nw)) * u.CB + cb0;`,
    ...Ks.map((k) => `    if (cb0 + ${k * YV}u < u.CB) { Y[yb / ${YV}u + ${k}u] = ${packed(0, k).replace(/a0_/g, 'v0_')} + bb${k}; }`),
    `  }`,
    `}`,
  ];
  return fill(upSource, {
    YT,
    DIAG: c.SG ? SG_DIAG : '',
    TAPS: indent(taps, 2),
    ENABLE: c.SG ? SG_ENABLE : '',
    SGARG: c.SG ? SG_ARG : '',
    ST,
    SV: c.SV,
    C: c.C,
    P: c.P,
    SETUP: indent(setup, 2),
    ROW: indent(row, 4),
    COL: indent(col, 6),
    BODY: indent(body, 8),
    STORE: indent(store, 2),
  });
}

registerKernel({
  name: 'conv_up',
  backend: 'webgpu',
  describe: (p: ConvParams) => geomText(p.g),
  source: (p: ConvParams) => {
    const c = upCfg(p.g, p.sg);
    return c.R ? upRunGen(c) : upGen(c);
  },
  variant: (p: ConvParams) => {
    const c = upCfg(p.g, p.sg);
    return `s${c.SV}y${c.YV}c${c.C}p${c.P}${c.SG ? 'sg' : ''}${c.R ? `r${c.R}t${c.TW}${c.gate ? 'g' : ''}` : ''}`;
  },
  constants: (p: ConvParams) => ({ WG: upCfg(p.g, p.sg).WG }),
  uniforms: (p: ConvParams) => [...geomUniforms(p.g), ['u32', p.g.N], ['u32', p.hasBias ? 1 : 0], ['u32', upCfg(p.g, p.sg).P], ['u32', 0]],
  dispatch: (p: ConvParams) => {
    const { g } = p;
    const c = upCfg(g, p.sg);
    const perPhase = c.R ? g.N * ceilDiv(g.HB, g.sH) * ceilDiv(ceilDiv(g.WB, g.sW), c.R) : g.N * ceilDiv(g.HB, g.sH) * ceilDiv(g.WB, g.sW);
    return gridXYZ(g.sH * g.sW * ceilDiv(g.CB, c.C), ceilDiv(perPhase, c.R ? c.WG : c.WG * c.P));
  },
});

// --- filter gradient ------------------------------------------------------------------------------------------------

interface FilterCfg extends Tile {
  XV: 1 | 4;
  SV: 1 | 4;
  SG: boolean;
  /** Pixels per iteration of the pixel loop (amortizes the per-iteration accumulator updates). */
  U: number;
  rows: number;
}

function filterCfg(g: ConvGeom, sg: boolean, lanes: number): FilterCfg {
  const XV = vecWidth(g.CB);
  const SV = vecWidth(g.CS);
  const t = convTuning.filter ?? {};
  const SG = (t.SG ?? sg) && SV === 4;
  let C = t.C ?? (SV === 4 ? Math.min(XV === 4 ? 16 : 48, g.CS) : Math.min(4, g.CS));
  if (SV === 4) C = up4(C);
  C = Math.max(1, C);
  const rows = (g.KH * g.KW * g.CB) / XV;
  // One SIMD row (the device's lanes) per workgroup, each lane 4 filter rows of vec4 (6 of scalars), fewer when the
  // filter has fewer rows: measured on llvmpipe (8 lanes) at the student encoder's shapes (512 frames,
  // probes in packages/distil) this beat 64 lanes x 1-2 rows by 1.3x (vec4 rows) to 3x (the RGB layer, whose 48
  // rows left 5 of the 8 SIMD rows of a 64-lane workgroup idle).
  const WGf = t.WG ?? lanes;
  const P = t.P ?? Math.max(1, Math.min(XV === 4 ? 4 : 6, ceilDiv(rows, WGf)));
  const U = t.U ?? 1;
  return { XV, SV, C, P, SG, U, rows, WG: WGf };
}

/**
 * How many pixel chunks the filter gradient is split into. Chunks of about 1024 pixels: all (row, channel)
 * blocks of one chunk run back to back (the chunk is the grid's slowest dimension) and find its slice of B and S
 * in cache, which matters once a batch no longer fits (hundreds of images); at least ~32 workgroups in all; at
 * most 8 Mi floats of partial sums (then longer chunks).
 */
export function filterSplit(g: ConvGeom, lanes = 8): { chunk: number; G: number } {
  const M = g.N * g.HS * g.WS;
  const L = g.KH * g.KW * g.CB * g.CS;
  if (M === 0) return { chunk: 1, G: 0 };
  const c = filterCfg(g, false, lanes);
  const groups = ceilDiv(c.rows, c.WG * c.P) * ceilDiv(g.CS, c.C);
  let G = Math.max(ceilDiv(M, 1024), ceilDiv(32, groups));
  G = Math.min(G, Math.max(1, Math.floor(M / 64)), Math.max(1, Math.floor(2 ** 23 / Math.max(1, L))), MAX_GROUPS);
  G = Math.max(1, G);
  const chunk = ceilDiv(M, G);
  return { chunk, G: ceilDiv(M, chunk) };
}

function filterGen(c: FilterCfg): string {
  const XT = elemType(c.XV);
  const ST = elemType(c.SV);
  const NC = c.C / c.SV;
  const Ps = range(c.P);
  const Js = range(c.XV);
  const Cs = range(NC);
  const Us = range(c.U);
  // S[m, cs0 .. cs0 + C) of one pixel, shared over the subgroup.
  const coop = c.SG ? coopLoads('c', 1, NC, () => '0u', (o) => o) : null;
  const nq = Math.ceil(NC / 8);
  const setup = [
    ...(coop ? ['let sgl = sgid % 8u;', ...coop.pre] : []),
    ...Ps.flatMap((p) => [
      `let r${p} = min(rBase + ${p}u * WG, u.rows - 1u);`,
      `let cbv${p} = r${p} % CBv;`,
      `let kk${p} = r${p} / CBv;`,
      `let dh${p} = i32(kk${p} / u.KW) - i32(u.pT);`,
      `let dw${p} = i32(kk${p} % u.KW) - i32(u.pL);`,
      ...Js.flatMap((j) => Cs.map((k) => `var a${p}_${j}_${k} = ${ST}(0.0);`)),
    ]),
  ];
  const body: string[] = [];
  for (const v of Us) {
    // Pixel m + v: its position (ow, oh, nb), then advance the position by one pixel (select, no branches).
    body.push(
      `let okm${v} = m + ${v}u < mEnd;`,
      `let ihb${v} = i32(oh * u.sH);`,
      `let iwb${v} = i32(ow * u.sW);`,
      `let nb${v} = nb;`,
    );
    if (v < c.U - 1) {
      body.push(
        `ow += 1u;`,
        `let wrap${v} = ow == u.WS;`,
        `ow = select(ow, 0u, wrap${v});`,
        `oh = select(oh, oh + 1u, wrap${v});`,
        `let wrapb${v} = oh == u.HS;`,
        `oh = select(oh, 0u, wrapb${v});`,
        `nb = select(nb, nb + u.HB, wrapb${v});`,
      );
    }
    for (const p of Ps) {
      body.push(
        `let ih${p}_${v} = ihb${v} + dh${p};`,
        `let iw${p}_${v} = iwb${v} + dw${p};`,
        `let ok${p}_${v} = okm${v} && ih${p}_${v} >= 0 && ih${p}_${v} < i32(u.HB) && iw${p}_${v} >= 0 && iw${p}_${v} < i32(u.WB);`,
        `let x${p}_${v} = select(${XT}(0.0), X[select(0u, ((nb${v} + u32(ih${p}_${v})) * u.WB + u32(iw${p}_${v})) * CBv + cbv${p}, ok${p}_${v})], ok${p}_${v});`,
      );
    }
    // The S index of pixel m + v is clamped to the last pixel (its x is 0 past the chunk end).
    body.push(`let si${v} = min(si + ${v}u * CSv, sMax);`);
    if (coop) for (let q = 0; q < nq; q++) body.push(`let cg${q}_${v} = S[si${v} + co${q}];`);
    for (const k of Cs) body.push(`let s${k}_${v} = ${coop ? coop.elem(0, k).replace(/cg(\d+)/, `cg$1_${v}`) : `S[si${v} + ${k}u]`};`);
    for (const p of Ps) for (const j of Js) for (const k of Cs) body.push(`a${p}_${j}_${k} = fma(${ST}(x${p}_${v}${comp(c.XV, j)}), s${k}_${v}, a${p}_${j}_${k});`);
  }
  body.push(
    `ow += 1u;`,
    `let wrapE = ow == u.WS;`,
    `ow = select(ow, 0u, wrapE);`,
    `oh = select(oh, oh + 1u, wrapE);`,
    `let wrapbE = oh == u.HS;`,
    `oh = select(oh, 0u, wrapbE);`,
    `nb = select(nb, nb + u.HB, wrapbE);`,
  );
  // Stores in a loop with an opaque trip count (tileP = P), as in conv_down.
  const store = [
    `for (var p = 0u; p < u.tileP; p++) {`,
    ...Js.flatMap((j) =>
      Cs.flatMap((k) => [`  var v${j}_${k} = a0_${j}_${k};`, ...Ps.slice(1).map((q) => `  v${j}_${k} = select(v${j}_${k}, a${q}_${j}_${k}, p == ${q}u);`)]),
    ),
    `  let r = rBase + p * WG;`,
    `  if (r < u.rows) {`,
    `    let o = ob + ((r / CBv) * u.CB + (r % CBv) * ${c.XV}u) * CSv + cs0;`,
    ...Cs.flatMap((k) => [
      `    if (cs0 + ${k}u < CSv) {`,
      ...Js.map((j) => `      Out[o${j ? ` + ${j}u * CSv` : ''} + ${k}u] = v${j}_${k};`),
      `    }`,
    ]),
    `  }`,
    `}`,
  ];
  return fill(filterSource, {
    ENABLE: c.SG ? SG_ENABLE : '',
    SGARG: c.SG ? SG_ARG : '',
    XT,
    ST,
    XV: c.XV,
    SV: c.SV,
    C: c.C,
    P: c.P,
    U: c.U,
    SETUP: indent(setup, 2),
    BODY: indent(body, 4),
    STORE: indent(store, 2),
  });
}

registerKernel({
  name: 'conv_filter',
  backend: 'webgpu',
  describe: (p: FilterParams) => geomText(p.g),
  source: (p: FilterParams) => filterGen(filterCfg(p.g, p.sg, p.lanes)),
  variant: (p: FilterParams) => {
    const c = filterCfg(p.g, p.sg, p.lanes);
    return `x${c.XV}s${c.SV}c${c.C}p${c.P}u${c.U}${c.SG ? 'sg' : ''}`;
  },
  constants: (p: FilterParams) => ({ WG: filterCfg(p.g, p.sg, p.lanes).WG }),
  uniforms: (p: FilterParams) => {
    const { g } = p;
    const c = filterCfg(g, p.sg, p.lanes);
    return [
      ...geomUniforms(g),
      ['u32', g.N * g.HS * g.WS],
      ['u32', p.chunk],
      ['u32', c.rows],
      ['u32', g.KH * g.KW * g.CB * g.CS],
      ['u32', c.P],
      ['u32', 0],
      ['u32', 0],
      ['u32', 0],
    ];
  },
  dispatch: (p: FilterParams) => {
    const c = filterCfg(p.g, p.sg, p.lanes);
    const x = ceilDiv(p.g.CS, c.C);
    const y = ceilDiv(c.rows, c.WG * c.P);
    if (x > MAX_GROUPS || y > MAX_GROUPS) throw new Error(`conv_filter: filter too large for one dispatch (${x} x ${y} workgroups)`);
    return [x, y, p.G];
  },
});

// --- partial sums and bias gradient -------------------------------------------------------------------------------

const SUM_WG = 256;

registerKernel({
  name: 'conv_sum_partials',
  backend: 'webgpu',
  source: (p: SumParams) => fill(sumSource, { T: elemType(vecWidth(p.L)) }),
  variant: (p: SumParams) => `v${vecWidth(p.L)}`,
  constants: () => ({ WG: SUM_WG }),
  uniforms: (p: SumParams) => [
    ['u32', p.L / vecWidth(p.L)],
    ['u32', p.G],
    ['u32', 0],
    ['u32', 0],
  ],
  dispatch: (p: SumParams) => grid1d(p.L / vecWidth(p.L), SUM_WG),
});

/**
 * Row chunks for the bias gradient: about 256 rows per chunk, at least ~256 (chunk, channel) invocations while
 * chunks stay >= 32 rows.
 */
export function biasGradSplit(M: number, C: number): { chunk: number; G: number } {
  if (M === 0) return { chunk: 1, G: 0 };
  const Cv = C / vecWidth(C);
  let G = Math.max(ceilDiv(M, 1024), ceilDiv(256, Math.max(1, Cv)));
  G = Math.max(1, Math.min(G, Math.floor(M / 32) || 1, 65535));
  const chunk = ceilDiv(M, G);
  return { chunk, G: ceilDiv(M, chunk) };
}

const BIAS_WG = 64;

registerKernel({
  name: 'conv_bias_grad',
  backend: 'webgpu',
  source: (p: BiasGradParams) => fill(biasGradSource, { T: elemType(vecWidth(p.C)), V: vecWidth(p.C) }),
  variant: (p: BiasGradParams) => `v${vecWidth(p.C)}`,
  constants: () => ({ WG: BIAS_WG }),
  uniforms: (p: BiasGradParams) => {
    const Cv = p.C / vecWidth(p.C);
    return [
      ['u32', p.M],
      ['u32', Cv],
      ['u32', p.chunk],
      ['u32', p.G * Cv],
    ];
  },
  dispatch: (p: BiasGradParams) => grid1d(p.G * (p.C / vecWidth(p.C)), BIAS_WG),
});
