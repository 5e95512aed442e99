import { fc, test } from '@fast-check/vitest';
import { afterEach, describe, expect, it } from 'vitest';
import {
  biasGradNHWC,
  conv2d,
  conv2dBackwardFilter,
  conv2dBackwardInput,
  conv2dOutputShape,
  convTranspose2d,
  convTranspose2dBackwardFilter,
  convTranspose2dBackwardInput,
  convTranspose2dOutputShape,
  tensor,
  type Conv2dOptions,
  type ConvTranspose2dOptions,
  type Device,
} from '../src/index.js';
import { convTuning, deviceLanes, filterSplit } from '../src/conv/conv-kernels.js';
import { cpu, expectClose, gpu, hasGpu, randomArray, read, type Tol } from './harness.js';

// ---------------------------------------------------------------------------------------------------------------
// Independent references (f64, written from the definitions, not from the kernels' B/S/F formulation)

interface Geo {
  N: number;
  H: number;
  W: number;
  Cin: number;
  KH: number;
  KW: number;
  Cout: number;
  sH: number;
  sW: number;
  pT: number;
  pL: number;
  OH: number;
  OW: number;
}

const pairOf = (v: number | readonly [number, number] | undefined, d: number): [number, number] =>
  v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]];

/** conv2d geometry from the TF / PyTorch formulas (output size and top/left padding). */
function conv2dGeo(xs: number[], ws: number[], o: Conv2dOptions): Geo {
  const [N, H, W, Cin] = xs;
  const [KH, KW, , Cout] = ws;
  const [sH, sW] = pairOf(o.stride, 1);
  const one = (inp: number, k: number, s: number, p: number | 'same'): [number, number] => {
    if (p === 'same') {
      const out = Math.ceil(inp / s);
      return [out, Math.floor(Math.max((out - 1) * s + k - inp, 0) / 2)];
    }
    return [Math.floor((inp + 2 * p - k) / s) + 1, p];
  };
  const [ph, pw]: (number | 'same')[] =
    o.padding === 'same' ? ['same', 'same'] : o.padding === 'valid' || o.padding === undefined ? [0, 0] : pairOf(o.padding, 0);
  const [OH, pT] = one(H, KH, sH, ph);
  const [OW, pL] = one(W, KW, sW, pw);
  return { N, H, W, Cin, KH, KW, Cout, sH, sW, pT, pL, OH, OW };
}

/** conv-transpose2d geometry: out = (in - 1) * s + k - 2p + outputPadding; 'same': in * s + outputPadding. */
function convT2dGeo(xs: number[], ws: number[], o: ConvTranspose2dOptions): Geo {
  const [N, H, W, Cin] = xs;
  const [KH, KW, Cout] = ws;
  const [sH, sW] = pairOf(o.stride, 1);
  const [oph, opw] = pairOf(o.outputPadding, 0);
  const one = (inp: number, k: number, s: number, p: number | 'same', op: number): [number, number] =>
    p === 'same' ? [inp * s + op, Math.floor(Math.max(k - s, 0) / 2)] : [(inp - 1) * s + k - 2 * p + op, p];
  const [ph, pw]: (number | 'same')[] =
    o.padding === 'same' ? ['same', 'same'] : o.padding === 'valid' || o.padding === undefined ? [0, 0] : pairOf(o.padding, 0);
  const [OH, pT] = one(H, KH, sH, ph, oph);
  const [OW, pL] = one(W, KW, sW, pw, opw);
  return { N, H, W, Cin, KH, KW, Cout, sH, sW, pT, pL, OH, OW };
}

/** y[n,oh,ow,co] = b[co] + sum x_padded[n, oh*sH + kh - pT, ow*sW + kw - pL, ci] * w[kh,kw,ci,co] */
function refConv2d(x: Float32Array, w: Float32Array, b: Float32Array | null, g: Geo): Float64Array {
  const y = new Float64Array(g.N * g.OH * g.OW * g.Cout);
  for (let n = 0; n < g.N; n++)
    for (let oh = 0; oh < g.OH; oh++)
      for (let ow = 0; ow < g.OW; ow++)
        for (let co = 0; co < g.Cout; co++) {
          let s = b ? b[co] : 0;
          for (let kh = 0; kh < g.KH; kh++)
            for (let kw = 0; kw < g.KW; kw++)
              for (let ci = 0; ci < g.Cin; ci++) {
                const ih = oh * g.sH + kh - g.pT;
                const iw = ow * g.sW + kw - g.pL;
                const xv = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W ? x[((n * g.H + ih) * g.W + iw) * g.Cin + ci] : 0;
                s += xv * w[((kh * g.KW + kw) * g.Cin + ci) * g.Cout + co];
              }
          y[((n * g.OH + oh) * g.OW + ow) * g.Cout + co] = s;
        }
  return y;
}

/** Scatter form: every x[n,ih,iw,ci] adds x * w[kh,kw,co,ci] to y[n, ih*sH + kh - pT, iw*sW + kw - pL, co]. */
function refConvT2d(x: Float32Array, w: Float32Array, b: Float32Array | null, g: Geo): Float64Array {
  const y = new Float64Array(g.N * g.OH * g.OW * g.Cout);
  for (let i = 0; i < y.length; i++) y[i] = b ? b[i % g.Cout] : 0;
  for (let n = 0; n < g.N; n++)
    for (let ih = 0; ih < g.H; ih++)
      for (let iw = 0; iw < g.W; iw++)
        for (let ci = 0; ci < g.Cin; ci++) {
          const xv = x[((n * g.H + ih) * g.W + iw) * g.Cin + ci];
          for (let kh = 0; kh < g.KH; kh++)
            for (let kw = 0; kw < g.KW; kw++) {
              const oh = ih * g.sH + kh - g.pT;
              const ow = iw * g.sW + kw - g.pL;
              if (oh < 0 || oh >= g.OH || ow < 0 || ow >= g.OW) continue;
              for (let co = 0; co < g.Cout; co++) y[((n * g.OH + oh) * g.OW + ow) * g.Cout + co] += xv * w[((kh * g.KW + kw) * g.Cout + co) * g.Cin + ci];
            }
        }
  return y;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
const absDot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] * b[i]);
  return s;
};
const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/**
 * Tolerance for sums of K products of values in [-1, 1] computed in f32 (the references accumulate in f64):
 * the rounding error of such a sum grows like sqrt(K) * 2^-24 per unit term in practice (K * 2^-24 worst case);
 * 1e-5 * sqrt(K) is ~100x the typical error and far below what an indexing mistake gives (O(1)).
 */
const tolK = (K: number, scale = 1): Tol => ({ atol: 1e-5 * Math.sqrt(Math.max(1, K)) * scale, rtol: 1e-5 });

// ---------------------------------------------------------------------------------------------------------------
// Random cases

interface Case {
  transpose: boolean;
  N: number;
  H: number;
  W: number;
  Cin: number;
  Cout: number;
  KH: number;
  KW: number;
  stride: [number, number];
  padding: 'valid' | 'same' | [number, number];
  outputPadding: number;
  seed: number;
}

const channels = fc.constantFrom(1, 3, 5, 8, 7, 12, 13);
const caseArb: fc.Arbitrary<Case> = fc
  .record({
    transpose: fc.boolean(),
    N: fc.integer({ min: 1, max: 3 }),
    H: fc.constantFrom(1, 3, 5, 7, 9, 11, 4, 8),
    W: fc.constantFrom(1, 3, 5, 7, 9, 13, 6),
    Cin: channels,
    Cout: channels,
    KH: fc.integer({ min: 1, max: 6 }),
    KW: fc.integer({ min: 1, max: 6 }),
    stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    pad: fc.oneof(fc.constant<'valid'>('valid'), fc.constant<'same'>('same'), fc.tuple(fc.nat(5), fc.nat(5))),
    outputPadding: fc.nat(2),
    seed: fc.integer(),
  })
  .map(({ pad, ...c }) => {
    // keep explicit padding below the kernel size and outputPadding below the stride (both are errors otherwise)
    const padding = Array.isArray(pad) ? ([pad[0] % c.KH, pad[1] % c.KW] as [number, number]) : pad;
    const outputPadding = Math.min(c.outputPadding, Math.min(...c.stride) - 1);
    return { ...c, padding, outputPadding };
  })
  .filter((c) => {
    const [ph, pw] = Array.isArray(c.padding) ? c.padding : [0, 0];
    if (c.transpose) {
      // the output must not be empty: (in - 1) * s + k - 2p + outputPadding >= 1
      return (c.H - 1) * c.stride[0] + c.KH - 2 * ph + c.outputPadding >= 1 && (c.W - 1) * c.stride[1] + c.KW - 2 * pw + c.outputPadding >= 1;
    }
    return c.padding === 'same' || (c.H + 2 * ph >= c.KH && c.W + 2 * pw >= c.KW);
  });

const optsOf = (c: Case): ConvTranspose2dOptions =>
  c.transpose ? { stride: c.stride, padding: c.padding, outputPadding: c.outputPadding } : { stride: c.stride, padding: c.padding };

interface CaseData {
  xs: number[];
  ws: number[];
  ys: number[];
  x: Float32Array;
  w: Float32Array;
  b: Float32Array;
  dy: Float32Array;
  geo: Geo;
  /** Products per forward output, backward-input output and filter-gradient element. */
  K: { fwd: number; bwdIn: number; bwdF: number };
}

function caseData(c: Case): CaseData {
  const xs = [c.N, c.H, c.W, c.Cin];
  const ws = c.transpose ? [c.KH, c.KW, c.Cout, c.Cin] : [c.KH, c.KW, c.Cin, c.Cout];
  const o = optsOf(c);
  const geo = c.transpose ? convT2dGeo(xs, ws, o) : conv2dGeo(xs, ws, o);
  const ys = [c.N, geo.OH, geo.OW, c.Cout];
  const K = { fwd: c.KH * c.KW * c.Cin, bwdIn: c.KH * c.KW * c.Cout, bwdF: c.transpose ? c.N * c.H * c.W : c.N * geo.OH * geo.OW };
  return {
    xs,
    ws,
    ys,
    x: randomArray(sizeOf(xs), c.seed),
    w: randomArray(sizeOf(ws), c.seed + 1),
    b: randomArray(c.Cout, c.seed + 2),
    dy: randomArray(sizeOf(ys), c.seed + 3),
    geo,
    K,
  };
}

/** The six ops (and the bias gradient) of one case on one device. */
async function runAll(dev: Device, c: Case, d: CaseData) {
  const o = optsOf(c);
  const x = tensor(dev, d.x, d.xs);
  const w = tensor(dev, d.w, d.ws);
  const b = tensor(dev, d.b);
  const dy = tensor(dev, d.dy, d.ys);
  const y = c.transpose ? convTranspose2d(x, w, b, o) : conv2d(x, w, b, o);
  const dx = c.transpose ? convTranspose2dBackwardInput(dy, w, d.xs, o) : conv2dBackwardInput(dy, w, d.xs, o);
  const dw = c.transpose ? convTranspose2dBackwardFilter(x, dy, d.ws, o) : conv2dBackwardFilter(x, dy, d.ws, o);
  const db = biasGradNHWC(dy);
  const out = { y: await read(y), dx: await read(dx), dw: await read(dw), db: await read(db), shape: y.shape };
  for (const t of [x, w, b, dy, y, dx, dw, db]) t.dispose();
  return out;
}

/** <fwd(x), dy> == <x, bwdIn(dy)> and <fwd(x; w), dy> == <w, bwdF(x, dy)> (forward without bias); f64 dots. */
function expectAdjoint(d: CaseData, yNoBias: ArrayLike<number>, dx: ArrayLike<number>, dw: ArrayLike<number>, what: string) {
  const lhs = dot(yNoBias, d.dy);
  const scale = absDot(yNoBias, d.dy) + absDot(d.x, dx) + absDot(d.w, dw) + 1e-3;
  // each side is a sum of f32-rounded values: relative rounding ~1e-7 per term; 2e-6 of the absolute sum is safe
  expect(Math.abs(lhs - dot(d.x, dx)), `${what}: <fwd(x), dy> vs <x, bwdInput(dy)>`).toBeLessThanOrEqual(2e-6 * scale);
  expect(Math.abs(lhs - dot(d.w, dw)), `${what}: <fwd(x; w), dy> vs <w, bwdFilter(x, dy)>`).toBeLessThanOrEqual(2e-6 * scale);
}

const describeCase = (c: Case) =>
  `${c.transpose ? 'convT' : 'conv'} x=[${c.N},${c.H},${c.W},${c.Cin}] k=${c.KH}x${c.KW} Cout=${c.Cout} s=${c.stride} p=${JSON.stringify(c.padding)}` +
  (c.transpose ? ` op=${c.outputPadding}` : '');

afterEach(() => {
  delete convTuning.down;
  delete convTuning.up;
  delete convTuning.filter;
});

// ---------------------------------------------------------------------------------------------------------------
// CPU reference semantics (run everywhere)

describe('conv on the CPU reference', () => {
  it('computes a hand-worked conv2d (stride 2, padding 1) and conv-transpose2d', async () => {
    // x 1x3x3x1 = 1..9, w 2x2x1x1 = [[1,2],[3,4]], stride 2, padding 1 -> 2x2 output:
    // (0,0): only x[0,0]=1 under w[1,1]=4 -> 4; (0,1): x[0,1]=2*w[1,0]=3 + x[0,2]=3*w[1,1]=4 -> 18
    // (1,0): x[1,0]=4*w[0,1]=2 + x[2,0]=7*w[1,1]=4 -> 36; (1,1): 5*1 + 6*2 + 8*3 + 9*4 = 77
    const x = tensor(cpu, [1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const w = tensor(cpu, [1, 2, 3, 4], [2, 2, 1, 1]);
    const y = conv2d(x, w, tensor(cpu, [0.5]), { stride: 2, padding: 1 });
    expect(y.shape).toEqual([1, 2, 2, 1]);
    expect(await read(y)).toEqual(new Float32Array([4.5, 18.5, 36.5, 77.5]));
    // conv-transpose2d of a single 1 at (0,0), stride 2, kernel 2x2: the kernel itself in the top-left corner.
    const t = convTranspose2d(tensor(cpu, [1, 0, 0, 0], [1, 2, 2, 1]), w, null, { stride: 2 });
    expect(t.shape).toEqual([1, 4, 4, 1]);
    expect(Array.from(await read(t))).toEqual([1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('gives the Dreamer encoder / decoder shapes', () => {
    const enc: [number, number][] = [
      [3, 48],
      [48, 96],
      [96, 192],
      [192, 384],
    ];
    let s = [16, 64, 64, 3];
    const sizes = [];
    for (const [ci, co] of enc) {
      s = conv2dOutputShape(s, [4, 4, ci, co], { stride: 2 });
      sizes.push(s[1]);
    }
    expect(sizes).toEqual([31, 14, 6, 2]);
    expect(s).toEqual([16, 2, 2, 384]);
    const dec: [number, number, number][] = [
      [5, 1536, 192],
      [5, 192, 96],
      [6, 96, 48],
      [6, 48, 3],
    ];
    let t = [16, 1, 1, 1536];
    const dsizes = [];
    for (const [k, ci, co] of dec) {
      t = convTranspose2dOutputShape(t, [k, k, co, ci], { stride: 2 });
      dsizes.push(t[1]);
    }
    expect(dsizes).toEqual([5, 13, 30, 64]);
    expect(t).toEqual([16, 64, 64, 3]);
    expect(conv2dOutputShape([1, 7, 8, 2], [3, 4, 2, 5], { stride: 2, padding: 'same' })).toEqual([1, 4, 4, 5]);
    expect(convTranspose2dOutputShape([1, 4, 4, 5], [3, 3, 2, 5], { stride: 2, padding: 'same', outputPadding: 1 })).toEqual([1, 9, 9, 2]);
    expect(convTranspose2dOutputShape([1, 4, 4, 5], [3, 3, 2, 5], { stride: 2, padding: 1, outputPadding: 1 })).toEqual([1, 8, 8, 2]);
  });

  test.prop([caseArb], { numRuns: 40 })('matches direct references and the adjoint identities', async (c) => {
    const d = caseData(c);
    const r = await runAll(cpu, c, d);
    expect(r.shape).toEqual(d.ys);
    const ref = c.transpose ? refConvT2d(d.x, d.w, d.b, d.geo) : refConv2d(d.x, d.w, d.b, d.geo);
    expectClose(r.y, ref, tolK(d.K.fwd), `${describeCase(c)} forward`);
    // bias gradient: sum of dy over N, H, W
    const db = new Float64Array(c.Cout);
    d.dy.forEach((v, i) => (db[i % c.Cout] += v));
    expectClose(r.db, db, tolK(d.K.bwdF), `${describeCase(c)} bias grad`);
    const noBias = c.transpose ? refConvT2d(d.x, d.w, null, d.geo) : refConv2d(d.x, d.w, null, d.geo);
    expectAdjoint(d, noBias, r.dx, r.dw, describeCase(c));
  });

  it('backward ops match finite differences of the forward', async () => {
    // L(x, w, b) = <fwd(x, w, b), dy> is linear in each argument, so central differences are exact up to f32
    // rounding of the forward outputs (~1e-7 relative per term): a step of 0.25 and atol 1e-4 leave ample margin.
    const cases: Case[] = [
      { transpose: false, N: 2, H: 5, W: 6, Cin: 3, Cout: 2, KH: 3, KW: 2, stride: [2, 1], padding: [1, 1], outputPadding: 0, seed: 7 },
      { transpose: false, N: 1, H: 6, W: 5, Cin: 2, Cout: 3, KH: 2, KW: 3, stride: [2, 2], padding: 'same', outputPadding: 0, seed: 8 },
      { transpose: true, N: 2, H: 3, W: 2, Cin: 3, Cout: 2, KH: 3, KW: 4, stride: [2, 2], padding: 'valid', outputPadding: 1, seed: 9 },
      { transpose: true, N: 1, H: 3, W: 3, Cin: 2, Cout: 2, KH: 3, KW: 3, stride: [2, 1], padding: 'same', outputPadding: 0, seed: 10 },
    ];
    const h = 0.25;
    for (const c of cases) {
      const d = caseData(c);
      const o = optsOf(c);
      const L = (x: Float32Array, w: Float32Array, b: Float32Array) => {
        const xt = tensor(cpu, x, d.xs);
        const wt = tensor(cpu, w, d.ws);
        const y = c.transpose ? convTranspose2d(xt, wt, tensor(cpu, b), o) : conv2d(xt, wt, tensor(cpu, b), o);
        return read(y).then((v) => dot(v, d.dy));
      };
      const r = await runAll(cpu, c, d);
      const fd = async (arr: Float32Array, i: number, f: (a: Float32Array) => Promise<number>) => {
        const p = arr.slice();
        const m = arr.slice();
        p[i] += h;
        m[i] -= h;
        return ((await f(p)) - (await f(m))) / (2 * h);
      };
      for (const i of [0, 1, Math.floor(d.x.length / 2), d.x.length - 1]) {
        const g = await fd(d.x, i, (x) => L(x, d.w, d.b));
        expect(Math.abs(g - r.dx[i]), `${describeCase(c)} dL/dx[${i}]: fd ${g}, op ${r.dx[i]}`).toBeLessThan(1e-4);
      }
      for (const i of [0, Math.floor(d.w.length / 3), d.w.length - 1]) {
        const g = await fd(d.w, i, (w) => L(d.x, w, d.b));
        expect(Math.abs(g - r.dw[i]), `${describeCase(c)} dL/dw[${i}]: fd ${g}, op ${r.dw[i]}`).toBeLessThan(1e-4);
      }
      for (let i = 0; i < c.Cout; i++) {
        const g = await fd(d.b, i, (b) => L(d.x, d.w, b));
        expect(Math.abs(g - r.db[i]), `${describeCase(c)} dL/db[${i}]`).toBeLessThan(1e-4);
      }
    }
  });

  it('handles an empty batch and sums the bias gradient of any rank', async () => {
    const x = tensor(cpu, new Float32Array(0), [0, 5, 5, 2]);
    const w = tensor(cpu, randomArray(18, 1), [3, 3, 2, 1]);
    expect(conv2d(x, w).shape).toEqual([0, 3, 3, 1]);
    const dw = conv2dBackwardFilter(x, tensor(cpu, new Float32Array(0), [0, 3, 3, 1]), [3, 3, 2, 1]);
    expect(Array.from(await read(dw))).toEqual(new Array(18).fill(0));
    expect(Array.from(await read(biasGradNHWC(tensor(cpu, [1, 2, 3, 4, 5, 6], [3, 2]))))).toEqual([9, 12]);
  });

  it('rejects bad input naming the op, the expected and the actual', () => {
    const x = tensor(cpu, new Float32Array(2 * 5 * 5 * 3), [2, 5, 5, 3]);
    const w = tensor(cpu, new Float32Array(3 * 3 * 3 * 4), [3, 3, 3, 4]);
    expect(() => conv2d(tensor(cpu, new Float32Array(75), [5, 5, 3]), w)).toThrow(/conv2d: input must have rank 4 \(\[N,H,W,Cin\]\), got shape \[5,5,3\]/);
    expect(() => conv2d(x, tensor(cpu, new Float32Array(36), [3, 3, 4]))).toThrow(/conv2d: filter must have rank 4 \(\[KH,KW,Cin,Cout\]\), got shape \[3,3,4\]/);
    expect(() => conv2d(x, tensor(cpu, new Float32Array(72), [3, 3, 2, 4]))).toThrow(
      /conv2d: filter \[KH,KW,Cin,Cout\] must have Cin = 3 \(the input's channels\), got filter \[3,3,2,4\]/,
    );
    expect(() => conv2d(x, tensor(cpu, new Float32Array(6 * 6 * 3), [6, 6, 3, 1]))).toThrow(
      /conv2d: kernel 6x6 must fit in the padded input, got input 5x5 with padding \[0,0\]/,
    );
    expect(() => conv2d(x, w, null, { padding: 3 })).toThrow(/conv2d: padding must be smaller than the kernel .* got padding 3 for kernel height 3/);
    expect(() => conv2d(x, w, null, { stride: 0 })).toThrow(/conv2d: stride must be an integer >= 1 or a pair of them, got 0/);
    expect(() => conv2d(x, w, null, { stride: [1, 1.5] })).toThrow(/conv2d: stride must be an integer >= 1/);
    expect(() => conv2d(x, w, null, { padding: 'full' as 'same' })).toThrow(/conv2d: padding must be 'valid', 'same', a number or a pair, got 'full'/);
    expect(() => conv2d(x, w, tensor(cpu, [1, 2, 3]))).toThrow(/conv2d: bias must have shape \[4\] \(the output channels\), got \[3\]/);
    expect(() => conv2d(tensor(cpu, new Int32Array(75), [1, 5, 5, 3]), w)).toThrow(/conv2d: x must have dtype f32, got i32/);
    expect(() => conv2dBackwardInput(tensor(cpu, new Float32Array(8), [2, 2, 2, 1]), w, [2, 5, 5, 3])).toThrow(
      /conv2dBackwardInput: dy must have shape \[2,3,3,4\] \(conv2d output shape\), got \[2,2,2,1\]/,
    );
    expect(() => conv2dBackwardFilter(x, tensor(cpu, new Float32Array(8), [2, 2, 2, 1]), [3, 3, 3, 4])).toThrow(
      /conv2dBackwardFilter: dy must have shape \[2,3,3,4\]/,
    );
    expect(() => conv2dBackwardFilter(x, x, [3, 3, 5, 4])).toThrow(/conv2dBackwardFilter: filter \[KH,KW,Cin,Cout\] must have Cin = 3/);
    const wt = tensor(cpu, new Float32Array(3 * 3 * 4 * 3), [3, 3, 4, 3]);
    expect(() => convTranspose2d(x, tensor(cpu, new Float32Array(36), [3, 3, 4, 1]))).toThrow(
      /convTranspose2d: filter \[KH,KW,Cout,Cin\] must have Cin = 3 \(the input's channels\), got filter \[3,3,4,1\]/,
    );
    expect(() => convTranspose2d(x, wt, null, { stride: 2, outputPadding: 2 })).toThrow(
      /convTranspose2d: outputPadding must be smaller than the stride, got outputPadding \[2,2\] with stride \[2,2\]/,
    );
    expect(() => convTranspose2d(x, wt, null, { padding: [1, 3] })).toThrow(/convTranspose2d: padding must be smaller than the kernel/);
    expect(() => convTranspose2d(x, wt, tensor(cpu, [1, 2, 3]))).toThrow(/convTranspose2d: bias must have shape \[4\]/);
    expect(() => convTranspose2dBackwardInput(x, wt, [2, 5, 5, 3])).toThrow(
      /convTranspose2dBackwardInput: dy must have shape \[2,7,7,4\] \(convTranspose2d output shape\), got \[2,5,5,3\]/,
    );
    expect(() => biasGradNHWC(tensor(cpu, [1], []))).toThrow(/biasGradNHWC: dy must have rank >= 1/);
    const gone = tensor(cpu, new Float32Array(75), [1, 5, 5, 3]);
    gone.dispose();
    expect(() => conv2d(gone, w)).toThrow(/conv2d: a tensor of shape \[1,5,5,3\] was used after dispose/);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// WGSL == CPU reference

/** Every output of a case on both devices; GPU results within tolK of the CPU reference. */
async function compareCase(c: Case, what = describeCase(c)) {
  const d = caseData(c);
  const want = await runAll(cpu, c, d);
  const got = await runAll(await gpu(), c, d);
  expectClose(got.y, want.y, tolK(d.K.fwd), `${what} forward`);
  expectClose(got.dx, want.dx, tolK(d.K.bwdIn), `${what} backward-input`);
  expectClose(got.dw, want.dw, tolK(d.K.bwdF), `${what} backward-filter`);
  expectClose(got.db, want.db, tolK(d.K.bwdF), `${what} bias grad`);
  return { d, got };
}

describe('the filter gradient\'s split', () => {
  it('takes the SIMD width from the device (8 where unknown) and covers every pixel with its chunks', async () => {
    expect(deviceLanes(cpu)).toBe(8);
    if (hasGpu) expect(deviceLanes(await gpu())).toBeGreaterThanOrEqual(8);
    // the RGB layer of the student encoder at 512 frames: M = 512 * 31 * 31 pixels
    const g = { N: 512, HB: 64, WB: 64, CB: 3, HS: 31, WS: 31, CS: 16, KH: 4, KW: 4, sH: 2, sW: 2, pT: 0, pL: 0 };
    for (const lanes of [8, 32]) {
      const { chunk, G } = filterSplit(g, lanes);
      const M = 512 * 31 * 31;
      expect(chunk * G).toBeGreaterThanOrEqual(M);
      expect(chunk * (G - 1)).toBeLessThan(M);
    }
  });
});

describe.runIf(hasGpu)('conv kernels: WGSL equals the CPU reference', () => {
  // Small tiles here (a few accumulators per invocation) keep the shader compile time low on llvmpipe; the same
  // generator makes the default tiles, which the Dreamer-shape test below runs.
  test.prop([caseArb], { numRuns: 24 })('random shapes, strides, paddings and channel counts (small tiles)', async (c) => {
    convTuning.down = { P: 2, C: 4 };
    convTuning.up = { P: 2, C: 4 };
    convTuning.filter = { P: 2, C: 4 };
    const { d, got } = await compareCase(c);
    const noBias = c.transpose ? refConvT2d(d.x, d.w, null, d.geo) : refConv2d(d.x, d.w, null, d.geo);
    expectAdjoint(d, noBias, got.dx, got.dw, `${describeCase(c)} (WGSL)`);
  });

  it('tile variants: several pixels / channels per invocation, tails, no subgroups, unrolled pixel loop', async () => {
    const cases: Case[] = [
      { transpose: false, N: 3, H: 9, W: 7, Cin: 8, Cout: 20, KH: 3, KW: 2, stride: [2, 1], padding: [1, 1], outputPadding: 0, seed: 21 },
      { transpose: true, N: 2, H: 5, W: 4, Cin: 12, Cout: 13, KH: 4, KW: 3, stride: [2, 3], padding: 'valid', outputPadding: 1, seed: 22 },
    ];
    // (every tile is a new set of shaders, a few seconds of LLVM each on llvmpipe: three tiles, two cases)
    const tiles = [
      { down: { P: 3, C: 12, SG: true }, up: { P: 3, C: 12, SG: true }, filter: { P: 1, C: 12, SG: true, U: 3 } },
      { down: { P: 1, C: 8, SG: false }, up: { P: 1, C: 8, SG: false }, filter: { P: 2, C: 4, SG: false, U: 2 } },
      // the filter gradient on a device of 32 lanes (its default workgroup is the device's SIMD width: 8 here)
      { down: { P: 1, C: 8, SG: false }, up: { P: 1, C: 8, SG: false }, filter: { WG: 32, P: 3, C: 8, SG: true } },
    ];
    for (const t of tiles) {
      Object.assign(convTuning, t);
      for (const c of cases) await compareCase(c, `${describeCase(c)} tile ${JSON.stringify(t)}`);
    }
  });

  // conv_up in runs (conv-up-run.wgsl): R neighbouring output pixels along w per invocation, sharing S columns.
  // It serves conv2d's backward-input and conv-transpose2d's forward; compareCase checks all six ops (the others
  // with their default tiles). Runs of 1..5 against widths of 1..13 output columns per phase cover runs longer than
  // a row, partial last runs, phases with one tap fewer (KW % sW != 0), strides 1..3, vec4 and scalar S.
  test.prop([caseArb, fc.integer({ min: 1, max: 5 }), fc.boolean()], { numRuns: 12 })('conv_up in runs of R pixels along w: random shapes', async (c, R, SG) => {
    convTuning.up = { R, C: 4, SG };
    await compareCase(c, `${describeCase(c)} up runs R=${R} SG=${SG}`);
  });

  it('conv_up in runs at the Dreamer decoder shapes (3 and 16 output channels, k6 / k5 s2) and the tails of C', async () => {
    const cases: [Case, NonNullable<typeof convTuning.up>][] = [
      [{ transpose: true, N: 2, H: 30, W: 30, Cin: 16, Cout: 3, KH: 6, KW: 6, stride: [2, 2], padding: 'valid', outputPadding: 0, seed: 71 }, { R: 8, C: 3 }],
      [{ transpose: true, N: 3, H: 13, W: 13, Cin: 32, Cout: 16, KH: 6, KW: 6, stride: [2, 2], padding: 'valid', outputPadding: 0, seed: 72 }, { R: 4, C: 8 }],
      [{ transpose: true, N: 2, H: 5, W: 5, Cin: 64, Cout: 32, KH: 5, KW: 5, stride: [2, 2], padding: 'valid', outputPadding: 0, seed: 73 }, { R: 3, C: 12, SG: false }],
      [{ transpose: false, N: 2, H: 31, W: 31, Cin: 16, Cout: 32, KH: 4, KW: 4, stride: [2, 2], padding: 'valid', outputPadding: 0, seed: 74 }, { R: 4, C: 12 }],
    ];
    for (const [c, t] of cases) {
      convTuning.up = t;
      await compareCase(c, `${describeCase(c)} up runs ${JSON.stringify(t)}`);
    }
  });

  it('Dreamer encoder / decoder layers at batch 2 (default tiles)', async () => {
    const enc: [number, number, number][] = [
      [64, 3, 48],
      [31, 48, 96],
      [14, 96, 192],
      [6, 192, 384],
    ];
    const dec: [number, number, number, number][] = [
      [1, 5, 1536, 192],
      [5, 5, 192, 96],
      [13, 6, 96, 48],
      [30, 6, 48, 3],
    ];
    const cases: Case[] = [
      ...enc.map(([H, Cin, Cout], i) => ({ transpose: false, N: 2, H, W: H, Cin, Cout, KH: 4, KW: 4, stride: [2, 2] as [number, number], padding: 'valid' as const, outputPadding: 0, seed: 30 + i })),
      ...dec.map(([H, K, Cin, Cout], i) => ({ transpose: true, N: 2, H, W: H, Cin, Cout, KH: K, KW: K, stride: [2, 2] as [number, number], padding: 'valid' as const, outputPadding: 0, seed: 40 + i })),
    ];
    for (const c of cases) await compareCase(c, `Dreamer ${describeCase(c)}`);
  });

  it('dense-folded shapes (the window covers the whole unpadded input): conv to 1x1, conv-transpose from 1x1', async () => {
    const cases: Case[] = [
      { transpose: false, N: 3, H: 4, W: 3, Cin: 5, Cout: 8, KH: 4, KW: 3, stride: [2, 2], padding: 'valid', outputPadding: 0, seed: 61 },
      { transpose: true, N: 3, H: 1, W: 1, Cin: 12, Cout: 3, KH: 3, KW: 4, stride: [2, 2], padding: 'valid', outputPadding: 0, seed: 62 },
    ];
    for (const c of cases) {
      const { d, got } = await compareCase(c, `dense ${describeCase(c)}`);
      const ref = c.transpose ? refConvT2d(d.x, d.w, d.b, d.geo) : refConv2d(d.x, d.w, d.b, d.geo);
      expectClose(got.y, ref, tolK(d.K.fwd), `dense ${describeCase(c)} forward vs direct reference`);
    }
  });

  it('extreme magnitudes: no overflow or loss beyond relative rounding', async () => {
    // |x|, |w| up to 1e15: products up to 1e30, sums far below f32's 3.4e38; errors scale with the magnitude.
    const c: Case = { transpose: false, N: 2, H: 9, W: 9, Cin: 8, Cout: 16, KH: 3, KW: 3, stride: [2, 2], padding: 'same', outputPadding: 0, seed: 5 };
    const d = caseData(c);
    const big = (a: Float32Array) => a.map((v, i) => v * (i % 3 === 0 ? 1e15 : i % 3 === 1 ? 1e-15 : 1));
    const x = big(d.x);
    const w = big(d.w);
    const run = async (dev: Device) => {
      const y = conv2d(tensor(dev, x, d.xs), tensor(dev, w, d.ws), null, optsOf(c));
      const dx = conv2dBackwardInput(tensor(dev, d.dy, d.ys), tensor(dev, w, d.ws), d.xs, optsOf(c));
      const dw = conv2dBackwardFilter(tensor(dev, x, d.xs), tensor(dev, d.dy, d.ys), d.ws, optsOf(c));
      return [await read(y), await read(dx), await read(dw)];
    };
    const want = await run(cpu);
    const got = await run(await gpu());
    // cancellation between 1e30-sized terms leaves results whose error is relative to the largest term, not to
    // the result: atol = 1e-5 * sqrt(K) * (largest |term|).
    expectClose(got[0], want[0], tolK(d.K.fwd, 1e30), 'forward, magnitudes 1e-15..1e15');
    expectClose(got[1], want[1], tolK(d.K.bwdIn, 1e15), 'backward-input, magnitudes 1e-15..1e15');
    expectClose(got[2], want[2], tolK(d.K.bwdF, 1e15), 'backward-filter, magnitudes 1e-15..1e15');
    for (const a of got) expect(a.every(Number.isFinite)).toBe(true);
  });

  it('splits long filter-gradient and bias-gradient reductions into partial sums', async () => {
    // 4 x 33 x 33 pixels and 3 channels: the bias gradient and the filter gradient of a 1x1x3x3 conv take
    // thousands of pixels per element (several partial chunks).
    const c: Case = { transpose: false, N: 4, H: 33, W: 33, Cin: 3, Cout: 3, KH: 1, KW: 1, stride: [1, 1], padding: 'valid', outputPadding: 0, seed: 77 };
    await compareCase(c, 'long reductions');
  });
});

describe.runIf(hasGpu)('conv-transpose from a 1x1 input with bias (the Dreamer decoder\'s first layer)', () => {
  it('adds the per-channel bias at every output position, on both backends', async () => {
    // [N,1,1,Cin] -> kernel 5 stride 2 -> [N,5,5,Cout]; this shape is folded into a dense product internally.
    const g = await gpu();
    const [N, Cin, Cout, K] = [3, 24, 8, 5];
    const x = randomArray(N * Cin, 1);
    const w = randomArray(K * K * Cout * Cin, 2, -0.2, 0.2);
    const b = randomArray(Cout, 3, -1, 1);
    const want = new Float32Array(N * K * K * Cout);
    for (let n = 0; n < N; n++)
      for (let kh = 0; kh < K; kh++)
        for (let kw = 0; kw < K; kw++)
          for (let co = 0; co < Cout; co++) {
            let s = b[co];
            for (let ci = 0; ci < Cin; ci++) s += x[n * Cin + ci] * w[((kh * K + kw) * Cout + co) * Cin + ci];
            want[((n * K + kh) * K + kw) * Cout + co] = s;
          }
    for (const dev of [cpu, g]) {
      const y = convTranspose2d(tensor(dev, x, [N, 1, 1, Cin]), tensor(dev, w, [K, K, Cout, Cin]), tensor(dev, b, [Cout]), { stride: 2 });
      expect(y.shape).toEqual([N, K, K, Cout]);
      expectClose(await read(y), want, { atol: 1e-5, rtol: 1e-5 }, `${dev.backend} convTranspose2d 1x1 + bias`);
    }
  });
});
