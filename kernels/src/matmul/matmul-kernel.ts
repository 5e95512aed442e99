import { registerKernel } from '../core/registry.js';
import { unaryCpu, unaryWgsl, type UnaryDef } from '../elementwise/unary-defs.js';
import ieeeSource from '../webgpu/ieee.wgsl';
import { ceilDiv, MAX_GROUPS } from '../webgpu/grid.js';
import naiveSource from './matmul-naive.wgsl';
import blockedSource from './matmul.wgsl';

/** Activations a matmul epilogue can apply (unary ops of the same names; elu with alpha 1). */
export const MATMUL_ACTS = ['none', 'elu', 'silu', 'relu', 'tanh', 'sigmoid'] as const;
export type MatmulAct = (typeof MATMUL_ACTS)[number];

/** The WGSL expression of x (and p0 = 1) of an epilogue activation: the unary kernel's own, NaN rule included. */
const actExpr = (a: MatmulAct) => (a === 'none' ? 'x' : unaryWgsl(a));

/**
 * The store of one output element o with value v (the k-sum) and bias b, as WGSL statements: C = prev + (v + b)
 * where prev is C itself when `accum` (a later K chunk or the accumulate option), else 0; with an activation,
 * PRE = prev + (v + b) with prev read from PRE, and C = act(PRE). Both kernels use it.
 */
export function epilogue(act: MatmulAct, v: string, b: string, accum: string, indent: string): string {
  if (act === 'none') return `${indent}C[o] = select(0.0, C[o], ${accum}) + (${v} + ${b});`;
  return [`${indent}let val = select(0.0, PRE[o], ${accum}) + (${v} + ${b});`, `${indent}PRE[o] = val;`, `${indent}C[o] = act(val);`].join('\n');
}

/** The template markers shared by both kernels: the activation, the PRE binding and the uniforms' binding. */
function fillShared(src: string, act: MatmulAct): string {
  return src
    .replace('{{ACT}}', actExpr(act))
    .replace('fn act(', `${ieeeSource}\nfn act(`)
    .replace('{{PRE_DECL}}', act === 'none' ? '' : '@group(0) @binding(4) var<storage, read_write> PRE: array<f32>;')
    .replace('{{BU}}', act === 'none' ? '4' : '5');
}

/** Batch dims after collapsing (outermost first); unused leading dims have size 1 and stride 0. */
export const MAX_BATCH_DIMS = 4;

/** WGSL variants: 'naive' (one output per invocation) or 'blocked' (register-blocked, matmul.wgsl). */
export type MatmulVariant = 'naive' | 'blocked';

/**
 * What the matmul kernels compute, in a form that covers every case of the op (transposes, the swapped
 * product for narrow outputs, batch broadcasting): for each batch index z < batch,
 *   C[z*R*Cc + r*sCr + c*sCc] = sum_k X[xOff + r*sXr + k*sXk] * Y[yOff + k*sYk + c*sYc]  (+ bias)
 * where xOff/yOff come from z decomposed over `dims` (outermost first) with strides `sx`/`sy` (0 where the
 * operand broadcasts), and the bias term is Bias[bOff + r*sBr + c*sBc] (a vector: strides (0, 1), or (1, 0) when
 * swapped; a matrix addend: its strides; batch 1 only). Inputs are [X, Y, Bias] (Bias is any f32 tensor when
 * hasBias is false), output [C] (with an activation [C, PRE]).
 */
export interface MatmulParams {
  R: number;
  Cc: number;
  K: number;
  batch: number;
  sXr: number;
  sXk: number;
  sYk: number;
  sYc: number;
  sCr: number;
  sCc: number;
  hasBias: boolean;
  /** Bias element of output (r, c): Bias[bOff + r * sBr + c * sBc]. */
  sBr: number;
  sBc: number;
  bOff: number;
  /**
   * The bias term is a matrix addend (the op's addend option): the CPU reference then rounds the product to f32
   * before adding it, as add(matmul(...), addend) does (a bias vector is added in double, then rounded once).
   */
  addend?: boolean;
  /** C += the product (+ bias) instead of C = (the op's accumulate option); not with an activation. */
  accumulate: boolean;
  /**
   * Activation epilogue: with one, outputs are [C, PRE]: PRE = product + bias (what the activation's backward
   * reads) and C = act(PRE), elementwise as the unary kernel computes it (elu with alpha 1).
   */
  act: MatmulAct;
  /** Length MAX_BATCH_DIMS each, outermost first. */
  dims: number[];
  sx: number[];
  sy: number[];
  /** WGSL plan (ignored by the CPU reference). */
  plan: MatmulPlan;
}

export interface MatmulPlan {
  variant: MatmulVariant;
  /** rows per workgroup, columns per invocation (blocked: TN = 4), invocations per workgroup */
  TM: number;
  TN: number;
  WG: number;
  /** blocked: X rows loaded cooperatively and shared by subgroupBroadcast (needs subgroups of >= 8 lanes) */
  sg: boolean;
  /**
   * blocked: how Y is read. 'c4': vec4 over 4 adjacent columns (Y contiguous along columns, aligned);
   * 'k4': vec4 over 4 consecutive k of each column (Y contiguous along k, aligned); 's': scalars.
   * On llvmpipe every load site expands to a per-lane loop, so vec4 loads are both faster and much quicker
   * to compile than four scalar loads.
   */
  ymode: 'c4' | 'k4' | 's';
  /** Group offsets of this dispatch (grids beyond 65535 groups per dimension are split by the op). */
  gx0: number;
  gy0: number;
  z0: number;
  /** blocked: k range of this dispatch, and whether it adds to C (a later chunk of a split K; a uniform) */
  kb: number;
  ke: number;
  acc: boolean;
  /** blocked: K is split into dispatches of this many k (0: one dispatch) */
  kSplit: number;
  /**
   * blocked, 'c4' only: Y is bound as a uniform buffer, a window of this many rows of Y (k) per dispatch (0: Y is
   * a storage buffer). On llvmpipe a lane-varying uniform load is a branchless gather where a storage load branches
   * per lane: the kernel runs ~2x faster (kernels README). Uniform bindings hold 64 KiB, so K is split into
   * dispatches of uboRows k (kSplit = uboRows); the last window is moved back to end at K (windows keep one size,
   * so one pipeline) and yb is its first row.
   */
  uboRows: number;
  /**
   * blocked, 'k4' only: Y bound as uniform windows of this many whole columns (all K of each), a dispatch per block
   * of columns (its workgroups only: gxn), yb its first column (0: off). Needs the column stride sYc <= 256.
   */
  uboCols: number;
  /** with uboRows / uboCols: vec4s in a window (the WGSL array's size), and the window's first k / column */
  uboVec4s: number;
  yb: number;
  /** workgroups in x of this dispatch (0: the rest of the grid from gx0) */
  gxn: number;
}

/** f32 elements of a uniform window of Y: 64 KiB, WebGPU's default maxUniformBufferBindingSize. */
export const UBO_FLOATS = 16384;
/** At most this many windows (dispatches) per product; beyond, Y stays a storage buffer. */
export const MAX_WINDOWS = 8;

/**
 * Rows of Y per uniform window for a 'c4' product (0 when Y cannot be bound so): a multiple of 16 (windows start
 * at multiples of 256 bytes when the row stride is a multiple of 4) that fits 64 KiB, at most K, at least 32 when K
 * is split, into at most MAX_WINDOWS windows; Y unbatched
 * (sy all 0), K whole rows of the row stride within Y, and when K is split the last window's start (K - rows) * sYk
 * aligned too.
 */
export function uboRowsFor(p: { K: number; sYk: number; sy: number[]; ySize: number }): number {
  if (p.sy.some((s) => s !== 0) || p.sYk % 4 !== 0 || p.K < 1) return 0;
  const fit = Math.floor(UBO_FLOATS / p.sYk / 16) * 16;
  if (fit < 16) return 0;
  if (p.K * p.sYk > p.ySize) return 0; // windows are whole rows of the row stride
  if (p.K <= fit) return p.K;
  // each window is a dispatch: not for thin ones (a GRU's 600 gate columns would take 13 of 16 rows for K = 200)
  if (fit < 32 || Math.ceil(p.K / fit) > MAX_WINDOWS) return 0;
  return ((p.K - fit) * p.sYk) % 64 === 0 ? fit : 0;
}

/** Columns per workgroup of the blocked kernel (WG x TN). */
const WG_COLS = 64;

/**
 * Columns of Y per uniform window for a 'k4' product (0 when Y cannot be bound so): whole columns (sYc floats
 * each, holding K <= sYc k's), a multiple of 64 (a workgroup's columns, so windows start at multiples of 256 bytes
 * for sYc a multiple of 4) that fits 64 KiB; all Cc columns when they fit one window, else Cc a multiple of it
 * (at most MAX_WINDOWS blocks).
 */
export function uboColsFor(p: { K: number; Cc: number; sYc: number; sy: number[]; ySize: number }): number {
  if (p.sy.some((s) => s !== 0) || p.sYc % 4 !== 0 || p.K > p.sYc || p.Cc * p.sYc > p.ySize) return 0;
  const fit = Math.floor(UBO_FLOATS / p.sYc / WG_COLS) * WG_COLS;
  if (fit < WG_COLS) return 0;
  if (p.Cc <= fit) return p.Cc;
  return p.Cc % fit === 0 && p.Cc / fit <= MAX_WINDOWS ? fit : 0;
}

/** k per dispatch when K is split (a multiple of 8, the subgroup chunk). */
export const K_CHUNK = 256;

/**
 * Chooses the WGSL variant and tile for a problem. Every distinct plan is one pipeline that llvmpipe compiles
 * with LLVM at first use (about a second each on an idle 2-core machine), so the choices are few:
 * TM = 8 rows per workgroup (1 for a single row, e.g. batch-1 GEMV), TN = 4 columns per invocation, WG = 16
 * invocations (on llvmpipe 16 measured as fast as 64 at 512^3 and faster for narrow outputs, since lanes past
 * the last column still execute), and Y read as vec4 wherever its layout allows.
 *
 * Measured on lavapipe (2 cores, shared and busy, so throughput is given per CPU-second x 2 cores), side by
 * side with tfjs-webgpu in one process, f32 n^3, many dispatches then one sync: 256: ~12-13 GFLOP/s (tfjs
 * ~4-5), 512: ~11-12 (tfjs ~4), 1024: ~9-11 (tfjs ~3.5-3.7); wall clock ~2.7-3x tfjs. The naive kernel is
 * ~1-1.5 by the same measure.
 */
export function planMatmul(
  p: { R: number; Cc: number; K: number; sYk: number; sYc: number; sy: number[]; ySize: number },
  caps: { subgroups: boolean; uniformY?: boolean },
  force?: MatmulVariant,
): MatmulPlan {
  const none = { gx0: 0, gy0: 0, z0: 0, kb: 0, ke: p.K, acc: false, kSplit: 0, uboRows: 0, uboCols: 0, uboVec4s: 0, yb: 0, gxn: 0 };
  if (force === 'naive') return { variant: 'naive', TM: 16, TN: 16, WG: 256, sg: false, ymode: 's', ...none };
  // a vec4 binding of Y needs whole vec4s: at least one, and no partial one at the end
  const aligned = p.ySize >= 4 && p.ySize % 4 === 0 && p.sy.every((s) => s % 4 === 0);
  const ymode =
    aligned && p.sYc === 1 && p.Cc % 4 === 0 && p.sYk % 4 === 0 ? 'c4' : aligned && p.sYk === 1 && p.sYc % 4 === 0 ? 'k4' : 's';
  const TM = p.R === 1 ? 1 : 8;
  // Split K when several row blocks re-read a Y larger than ~1 MiB (measured on lavapipe at 1024^3: ~2x).
  const kSplit = p.R > TM && p.K > K_CHUNK * 1.5 && p.K * p.Cc * 4 > 1 << 20 ? K_CHUNK : 0;
  const uboRows = caps.uniformY && ymode === 'c4' ? uboRowsFor(p) : 0;
  if (uboRows) return { variant: 'blocked', TM, TN: 4, WG: 16, sg: caps.subgroups, ymode, ...none, kSplit: uboRows < p.K ? uboRows : 0, uboRows, uboVec4s: (uboRows * p.sYk) / 4 };
  const uboCols = caps.uniformY && ymode === 'k4' ? uboColsFor(p) : 0;
  if (uboCols) return { variant: 'blocked', TM, TN: 4, WG: 16, sg: caps.subgroups, ymode, ...none, uboCols, uboVec4s: (uboCols * p.sYc) / 4 };
  return { variant: 'blocked', TM, TN: 4, WG: 16, sg: caps.subgroups, ymode, ...none, kSplit };
}

/** Workgroups per dimension for the whole problem (before splitting at 65535). */
export function fullGrid(p: MatmulParams): [number, number, number] {
  const q = p.plan;
  return [ceilDiv(p.Cc, q.variant === 'naive' ? q.TN : q.WG * q.TN), ceilDiv(p.R, q.TM), p.batch];
}

/** Splits a grid into dispatches of at most MAX_GROUPS per dimension: [offset, count] triples. */
export function splitGrid(grid: [number, number, number]): { off: [number, number, number]; n: [number, number, number] }[] {
  const parts: { off: [number, number, number]; n: [number, number, number] }[] = [];
  for (let z = 0; z < grid[2]; z += MAX_GROUPS)
    for (let y = 0; y < grid[1]; y += MAX_GROUPS)
      for (let x = 0; x < grid[0]; x += MAX_GROUPS)
        parts.push({
          off: [x, y, z],
          n: [Math.min(MAX_GROUPS, grid[0] - x), Math.min(MAX_GROUPS, grid[1] - y), Math.min(MAX_GROUPS, grid[2] - z)],
        });
  return parts;
}

registerKernel({
  name: 'matmul',
  backend: 'cpu',
  run([X, Y, Bias], [C, PRE], p: MatmulParams) {
    const f: UnaryDef['cpu'] | null = p.act === 'none' ? null : unaryCpu(p.act);
    const fr = Math.fround;
    const { R, Cc, K, dims, sx, sy, sXr, sXk, sYk, sYc, sCr, sCc } = p;
    // f64 accumulation: the reference is at least as accurate as any f32 kernel compared with it.
    const acc = new Float64Array(Cc);
    for (let z = 0; z < p.batch; z++) {
      let idx = z;
      let xOff = 0;
      let yOff = 0;
      for (let d = MAX_BATCH_DIMS - 1; d >= 0; d--) {
        const i = idx % dims[d];
        idx = Math.floor(idx / dims[d]);
        xOff += i * sx[d];
        yOff += i * sy[d];
      }
      const cOff = z * R * Cc;
      for (let r = 0; r < R; r++) {
        acc.fill(0);
        for (let k = 0; k < K; k++) {
          const xv = X[xOff + r * sXr + k * sXk];
          const yk = yOff + k * sYk;
          for (let c = 0; c < Cc; c++) acc[c] += xv * Y[yk + c * sYc];
        }
        for (let c = 0; c < Cc; c++) {
          const b = p.hasBias ? Bias[p.bOff + r * p.sBr + c * p.sBc] : 0;
          const o = cOff + r * sCr + c * sCc;
          // f32 values as the unfused ops store them: the product (+ bias), then C + it, or act of it
          const val = p.addend ? fr(fr(acc[c]) + b) : fr(acc[c] + b);
          if (f) {
            PRE[o] = val;
            C[o] = f(val, 1, 0);
          } else C[o] = p.accumulate ? fr(C[o] + val) : val;
        }
      }
    }
  },
});

const uniforms = (p: MatmulParams) =>
  [
    ['u32', p.R],
    ['u32', p.Cc],
    ['u32', p.K],
    ['u32', p.batch],
    ['u32', p.sXr],
    ['u32', p.sXk],
    ['u32', p.sYk],
    ['u32', p.sYc],
    ['u32', p.sCr],
    ['u32', p.sCc],
    ['u32', p.hasBias && p.plan.kb === 0 ? 1 : 0],
    ['u32', p.sBr],
    ...p.dims.map((d) => ['u32', d] as const),
    ...p.sx.map((s) => ['u32', s] as const),
    ...p.sy.map((s) => ['u32', s] as const),
    ['u32', p.plan.gx0],
    ['u32', p.plan.gy0],
    ['u32', p.plan.z0],
    ['u32', p.plan.kb],
    ['u32', p.plan.ke],
    ['u32', p.plan.acc || p.accumulate ? 1 : 0],
    ['u32', p.plan.TM],
    ['u32', p.sBc],
    ['u32', p.bOff],
    ['u32', p.plan.yb ?? 0],
    ['u32', 0],
    ['u32', 0],
  ] as const;

const rep = (n: number, f: (i: number) => string, sep = '\n') => Array.from({ length: n }, (_, i) => f(i)).join(sep);

/** Fills matmul.wgsl's markers: the unrolled TM x TN blocks. */
export function blockedWgsl(plan: MatmulPlan, act: MatmulAct = 'none'): string {
  const { TM, TN, sg, ymode } = plan;
  if (TN !== 4) throw new Error(`matmul: the blocked kernel is written for TN = 4, got ${TN}`);
  const CH = sg ? 8 : 4; // k per chunk
  const I = '  ';
  const J = `${I}  `;
  const decl = [
    sg ? `${I}let lane = sgi & 7u;` : '',
    rep(TM, (i) => `${I}let xr${i} = xOff + min(r0 + ${i}u, u.R - 1u) * u.sXr;`),
    ymode === 'c4'
      ? `${I}let yq = (yOff + min(c0, u.Cc - 4u)) / 4u;\n${I}let sYk4 = u.sYk / 4u;`
      : ymode === 'k4'
        ? plan.uboCols
          ? rep(TN, (j) => `${I}let yq${j} = (min(c0 + ${j}u, u.Cc - 1u) - u.yb) * u.sYc / 4u;`) // a window of columns from u.yb
          : rep(TN, (j) => `${I}let yq${j} = (yOff + min(c0 + ${j}u, u.Cc - 1u) * u.sYc) / 4u;`)
        : rep(TN, (j) => `${I}let yc${j} = yOff + min(c0 + ${j}u, u.Cc - 1u) * u.sYc;`),
    rep(TM, (i) => rep(TN, (j) => `${I}var acc${i}_${j} = 0.0;`)),
  ]
    .filter(Boolean)
    .join('\n');

  const body: string[] = [`${I}for (var k0 = u.kb; k0 < u.ke; k0 += ${CH}u) {`];
  if (sg) {
    // lane l loads X(row, k0 + l); everyone takes it from lane kk by subgroupBroadcast
    body.push(
      `${J}let ka = k0 + lane;`,
      `${J}let xk = min(ka, u.ke - 1u) * u.sXk;`,
      rep(TM, (i) => `${J}let av${i} = select(0.0, X[xr${i} + xk], ka < u.ke);`),
    );
  }
  for (let q = 0; q < CH / 4; q++) {
    // four k's: k0 + 4q + e, e = 0..3
    body.push(`${J}{`, `${J}  let kq = k0 + ${4 * q}u;`);
    if (ymode === 'k4') {
      body.push(
        `${J}  let okq = vec4<u32>(kq, kq + 1u, kq + 2u, kq + 3u) < vec4<u32>(u.ke);`,
        rep(TN, (j) => `${J}  let yv${j} = select(vec4<f32>(0.0), Y[yq${j} + kq / 4u], okq);`),
      );
    }
    for (let e = 0; e < 4; e++) {
      const kk = 4 * q + e;
      body.push(`${J}  {`, `${J}    let kb = kq + ${e}u;`, `${J}    let ok = kb < u.ke;`);
      if (ymode === 'c4') {
        // a uniform window of Y starts at row u.yb
        const row = plan.uboRows ? '(min(kb, u.ke - 1u) - u.yb)' : 'min(kb, u.ke - 1u)';
        body.push(`${J}    let yv = select(vec4<f32>(0.0), Y[yq + ${row} * sYk4], ok);`);
        body.push(rep(TN, (j) => `${J}    let b${j} = yv[${j}];`));
      } else if (ymode === 'k4') {
        body.push(rep(TN, (j) => `${J}    let b${j} = yv${j}[${e}];`));
      } else {
        body.push(`${J}    let yk = min(kb, u.ke - 1u) * u.sYk;`);
        body.push(rep(TN, (j) => `${J}    let b${j} = select(0.0, Y[yc${j} + yk], ok);`));
      }
      if (sg) body.push(rep(TM, (i) => `${J}    let a${i} = subgroupBroadcast(av${i}, ${kk}u);`));
      else {
        body.push(`${J}    let xk = min(kb, u.ke - 1u) * u.sXk;`);
        body.push(rep(TM, (i) => `${J}    let a${i} = select(0.0, X[xr${i} + xk], ok);`));
      }
      body.push(rep(TM, (i) => rep(TN, (j) => `${J}    acc${i}_${j} = fma(a${i}, b${j}, acc${i}_${j});`)));
      body.push(`${J}  }`);
    }
    body.push(`${J}}`);
  }
  body.push(`${I}}`);

  const store = [
    rep(TM, (i) => `${I}let res${i} = vec4<f32>(${rep(TN, (j) => `acc${i}_${j}`, ', ')});`),
    `${I}let addBias = u.hasBias != 0u;`,
    `${I}let accum = u.accum != 0u;`,
    `${I}for (var i = 0u; i < min(u.tm, u.R - r0); i++) {`,
    `${I}  let r = r0 + i;`,
    `${I}  var v = res0;`,
    rep(TM - 1, (i) => `${I}  v = select(v, res${i + 1}, i == ${i + 1}u);`),
    rep(TN, (j) =>
      [
        `${I}  if (c0 + ${j}u < u.Cc) {`,
        `${I}    let c = c0 + ${j}u;`,
        `${I}    let o = cOff + r * u.sCr + c * u.sCc;`,
        `${I}    let b = select(0.0, Bias[u.bOff + r * u.sBr + c * u.sBc], addBias);`,
        epilogue(act, `v[${j}]`, 'b', 'accum', `${I}    `),
        `${I}  }`,
      ].join('\n'),
    ),
    `${I}}`,
  ].join('\n');
  if ((plan.uboRows && ymode !== 'c4') || (plan.uboCols && ymode !== 'k4')) throw new Error(`matmul: uniform rows of Y need the 'c4' layout, columns 'k4'; got '${ymode}'`);
  const ubo = plan.uboRows || plan.uboCols;
  const out = blockedSource
    .replace('{{YDECL}}', ubo ? `var<uniform> Y: array<vec4<f32>, ${plan.uboVec4s}>;` : `var<storage, read> Y: array<${ymode === 's' ? 'f32' : 'vec4<f32>'}>;`)
    .replace('{{ENABLE}}', sg ? 'enable subgroups;' : '')
    .replace('{{TM}}', String(TM))
    .replace('{{TN}}', String(TN))
    .replace('{{SGI}}', sg ? ', @builtin(subgroup_invocation_id) sgi: u32' : '')
    .replace('{{DECL}}', decl)
    .replace('{{LOOP}}', body.join('\n'))
    .replace('{{STORE}}', store);
  const filled = fillShared(out, act);
  if (filled.includes('{{')) throw new Error('matmul: unfilled marker in the blocked WGSL template');
  return filled;
}

const planKey = (q: MatmulPlan) =>
  q.variant === 'naive' ? 'naive' : `blocked:tm${q.TM}:tn${q.TN}:${q.sg ? 'sg' : 'nosg'}:${q.ymode}${q.uboRows ? `:ubo${q.uboVec4s}` : q.uboCols ? `:uboc${q.uboVec4s}` : ''}`;

registerKernel({
  name: 'matmul',
  backend: 'webgpu',
  source: (p: MatmulParams) =>
    p.plan.variant === 'naive' ? fillShared(naiveSource.replace('{{STORE1}}', epilogue(p.act, 'acc', '0.0', 'u.accum != 0u', '  ')), p.act) : blockedWgsl(p.plan, p.act),
  variant: (p: MatmulParams) => `${planKey(p.plan)}:${p.act}`,
  // rows x K x columns of the product as computed (after a swap to C^T), its batch, K chunk and plan
  describe: (p: MatmulParams) =>
    `${p.R}x${p.K}x${p.Cc}${p.batch > 1 ? ` batch ${p.batch}` : ''}${p.plan.ke - p.plan.kb < p.K ? ` k ${p.plan.kb}..${p.plan.ke}` : ''} ${planKey(p.plan)}${p.act !== 'none' ? ` ${p.act}` : ''}`,
  constants: (p: MatmulParams): Record<string, number> =>
    p.plan.variant === 'naive' ? { WGX: p.plan.TN, WGY: p.plan.TM } : { WG: p.plan.WG },
  uniforms,
  // Y (input 1) as a uniform buffer: the op binds a window of uboRows rows or uboCols columns per dispatch
  uniformInputs: (p: MatmulParams) => (p.plan.uboRows || p.plan.uboCols ? 0b10 : 0),
  // the op sets gx0/gy0/z0 and calls once per part of splitGrid(fullGrid(p))
  dispatch: (p: MatmulParams) => {
    const [gx, gy, gz] = fullGrid(p);
    const q = p.plan;
    return [q.gxn || Math.min(MAX_GROUPS, gx - q.gx0), Math.min(MAX_GROUPS, gy - q.gy0), Math.min(MAX_GROUPS, gz - q.z0)];
  },
});
