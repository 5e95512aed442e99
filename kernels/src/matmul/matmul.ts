import { assertDType } from '../core/dtype.js';
import { fmt, sameShape } from '../core/shape.js';
import { empty, viewAt, type Tensor } from '../core/tensor.js';
import type { Device } from '../core/registry.js';
import type { GpuDevice } from '../webgpu/gpu-device.js';
import { fullGrid, MATMUL_ACTS, MAX_BATCH_DIMS, planMatmul, splitGrid, type MatmulAct, type MatmulParams, type MatmulVariant } from './matmul-kernel.js';
import './matmul-kernel.js';

export interface MatmulOptions {
  /** a is [..., K, M] (use its transpose). */
  transA?: boolean;
  /** b is [..., N, K] (use its transpose). */
  transB?: boolean;
  /** [N], added to every row of the result. */
  bias?: Tensor;
  /**
   * A matrix added to the result instead of a bias (not with one): element (m, n) of the single [M, N] result
   * (a batch folded into rows counts as one) gets x[offset + m * rowStride + n] added, e.g. a time step's
   * slice [:, t, :] of an [M, T, N] tensor is offset t * N, rowStride T * N.
   */
  addend?: MatmulAddend;
  /**
   * Write the result into this existing tensor (of the result's shape) instead of a new one, and return it.
   * It must not share memory with a, b or bias.
   */
  out?: Tensor;
  /**
   * With `out`: out += op(a) @ op(b) (+ bias), in place, instead of out = (one dispatch, as add(out, matmul(...))
   * computes it: the product is rounded to f32 first, so the two are bit-identical unless K is split into
   * several dispatches, where the chunks are added one by one).
   */
  accumulate?: boolean;
}

/** A strided matrix added in the epilogue: element (m, n) is x[offset + m * rowStride + n]. */
export interface MatmulAddend {
  x: Tensor;
  offset: number;
  rowStride: number;
}

/** Options of matmulAct: a matmul whose epilogue adds the bias (or an addend) and applies an activation. */
export interface MatmulActOptions {
  transA?: boolean;
  transB?: boolean;
  bias?: Tensor;
  addend?: MatmulAddend;
  act: MatmulAct;
}

/** @internal tests and benchmarks: force a WGSL variant. */
export interface MatmulInternalOptions extends MatmulOptions {
  variant?: MatmulVariant;
  /** false: plan as if the device had no subgroups (tests the fallback path) */
  subgroups?: boolean;
  /** true / false: bind Y as uniform windows where the product allows it, or never (default: on llvmpipe) */
  uniformY?: boolean;
}

/**
 * C = op(a) @ op(b) (+ bias), op = identity or transpose of the last two dims.
 * a is [...batchA, M, K] ([..., K, M] with transA), b is [...batchB, K, N] ([..., N, K] with transB); the batch
 * dims broadcast NumPy-style (a rank-2 operand is shared by every batch). The result is f32 [...batch, M, N].
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  if (opts.accumulate && !opts.out) throw new Error('matmul: accumulate needs out (the tensor to add into)');
  return run('matmul', a, b, opts, 'none').y;
}

/**
 * y = act(op(a) @ op(b) + bias) in one dispatch (an epilogue of the matmul), with pre = op(a) @ op(b) + bias
 * (what act's gradient needs), both f32 [...batch, M, N]. Elementwise the same values as matmul then unary(act)
 * (elu with alpha 1). act 'none' gives y = pre (one tensor, returned twice as two views).
 */
export function matmulAct(a: Tensor, b: Tensor, opts: MatmulActOptions): { y: Tensor; pre: Tensor } {
  if (!MATMUL_ACTS.includes(opts?.act)) throw new Error(`matmulAct: act must be one of ${MATMUL_ACTS.join(', ')}, got '${String(opts?.act)}'`);
  if (opts.act === 'none') {
    const y = run('matmulAct', a, b, opts, 'none').y;
    return { y, pre: y.reshape(y.shape) };
  }
  const r = run('matmulAct', a, b, opts, opts.act);
  return { y: r.y, pre: r.pre! };
}

function run(op: string, a: Tensor, b: Tensor, opts: MatmulOptions, act: MatmulAct): { y: Tensor; pre: Tensor | null } {
  const { transA = false, transB = false, bias, addend, out: into, accumulate = false } = opts;
  assertDType(op, 'a', 'f32', a.dtype);
  assertDType(op, 'b', 'f32', b.dtype);
  a.storage(op);
  b.storage(op);
  if (a.device !== b.device) throw new Error(`${op}: a and b are on different devices (${a.device.label} vs ${b.device.label})`);
  if (a.rank < 2) throw new Error(`${op}: a must have rank >= 2 ([..., M, K]), got ${fmt(a.shape)}`);
  if (b.rank < 2) throw new Error(`${op}: b must have rank >= 2 ([..., K, N]), got ${fmt(b.shape)}`);
  const [a0, a1] = a.shape.slice(-2);
  const [b0, b1] = b.shape.slice(-2);
  const [M, K] = transA ? [a1, a0] : [a0, a1];
  const [Kb, N] = transB ? [b1, b0] : [b0, b1];
  if (K !== Kb) {
    const ta = transA ? ' (transA)' : '';
    const tb = transB ? ' (transB)' : '';
    throw new Error(`${op}: inner dims differ: a is ${fmt(a.shape)}${ta}, b is ${fmt(b.shape)}${tb} (K=${K} vs ${Kb})`);
  }
  if (bias) {
    assertDType(op, 'bias', 'f32', bias.dtype);
    bias.storage(op);
    if (bias.device !== a.device) throw new Error(`${op}: bias is on a different device (${bias.device.label} vs ${a.device.label})`);
    if (bias.rank !== 1 || bias.shape[0] !== N) throw new Error(`${op}: bias must have shape [${N}], got ${fmt(bias.shape)}`);
  }

  // Batch dims: broadcast, then collapse runs with the same broadcast pattern into at most MAX_BATCH_DIMS dims.
  const ba = a.shape.slice(0, -2);
  const bb = b.shape.slice(0, -2);
  const nb = Math.max(ba.length, bb.length);
  const outBatch: number[] = [];
  const dims: number[] = [];
  const sa: number[] = [];
  const sb: number[] = [];
  let strideA = M * K;
  let strideB = K * N;
  const da = (i: number) => ba[ba.length - nb + i] ?? 1;
  const db = (i: number) => bb[bb.length - nb + i] ?? 1;
  for (let i = 0; i < nb; i++) {
    if (da(i) !== db(i) && da(i) !== 1 && db(i) !== 1) {
      throw new Error(`${op}: batch dims do not broadcast: a is ${fmt(a.shape)}, b is ${fmt(b.shape)} (${fmt(ba)} vs ${fmt(bb)})`);
    }
    outBatch.push(da(i) === 1 ? db(i) : da(i)); // a size-1 dim takes the other's size, 0 included
  }
  // innermost to outermost
  for (let i = nb - 1; i >= 0; i--) {
    const d = outBatch[i];
    const s1 = da(i) === 1 ? 0 : strideA;
    const s2 = db(i) === 1 ? 0 : strideB;
    strideA *= da(i);
    strideB *= db(i);
    if (d === 1) continue;
    const j = dims.length - 1;
    // merge into the previous (inner) collapsed dim when this one continues it contiguously
    if (j >= 0 && s1 === sa[j] * dims[j] && s2 === sb[j] * dims[j]) {
      dims[j] *= d;
    } else {
      dims.push(d);
      sa.push(s1);
      sb.push(s2);
    }
  }
  if (dims.length > MAX_BATCH_DIMS) {
    throw new Error(
      `${op}: batch broadcasting of a ${fmt(a.shape)} and b ${fmt(b.shape)} needs ${dims.length} strided dims; at most ${MAX_BATCH_DIMS} are supported (reshape first)`,
    );
  }
  const batch = dims.reduce((x, y) => x * y, 1);
  const outShape = [...outBatch, M, N];
  if (into) {
    into.storage(op);
    assertDType(op, 'out', 'f32', into.dtype);
    if (into.device !== a.device) throw new Error(`${op}: out is on a different device (${into.device.label} vs ${a.device.label})`);
    if (!sameShape(into.shape, outShape)) throw new Error(`${op}: out must have shape ${fmt(outShape)} (the result's), got ${fmt(into.shape)}`);
    const h = into.storage(op).handle;
    for (const [what, t] of [['a', a], ['b', b], ['bias', bias], ['addend.x', addend?.x]] as const) {
      if (t && t.storage(op).handle === h) throw new Error(`${op}: out must not share memory with ${what}`);
    }
  }
  const out = into ?? empty(a.device, outShape, 'f32');
  const pre = act === 'none' ? null : empty(a.device, outShape, 'f32');
  if (out.size === 0) return { y: out, pre };

  // Strides of one matrix of each operand: A(m, k) = a[m*sAm + k*sAk], B(k, n) = b[k*sBk + n*sBn].
  let Mf = M;
  let nbatch = batch;
  if (!transA && dims.length === 1 && sb[0] === 0 && sa[0] === M * K) {
    // b is shared by every batch and a's matrices are contiguous: one [batch*M, K] @ [K, N] product.
    Mf = batch * M;
    nbatch = 1;
    dims.length = sa.length = sb.length = 0;
  }
  let add: { x: Tensor; off: number; rs: number } | null = null;
  if (addend) {
    const { x, offset, rowStride } = addend;
    if (bias) throw new Error(`${op}: give a bias or an addend, not both`);
    assertDType(op, 'addend.x', 'f32', x.dtype);
    x.storage(op);
    if (x.device !== a.device) throw new Error(`${op}: addend.x is on a different device (${x.device.label} vs ${a.device.label})`);
    if (nbatch !== 1) throw new Error(`${op}: an addend needs a single [M, N] product (no batch), got a ${fmt(a.shape)}, b ${fmt(b.shape)}`);
    const ok = Number.isInteger(offset) && offset >= 0 && Number.isInteger(rowStride) && rowStride >= 0;
    if (!ok || (Mf > 0 && N > 0 && offset + (Mf - 1) * rowStride + N > x.size)) {
      throw new Error(`${op}: addend rows of ${N} at offset ${offset}, stride ${rowStride} (${Mf} rows) must lie inside addend.x ${fmt(x.shape)}`);
    }
    if (into && x.storage(op).handle === into.storage(op).handle) throw new Error(`${op}: out must not share memory with addend.x`);
    add = { x, off: offset, rs: rowStride };
  }
  const sAm = transA ? 1 : K;
  const sAk = transA ? M : 1;
  const sBk = transB ? 1 : N;
  const sBn = transB ? K : 1;
  const pad = <T,>(xs: T[], fill: T) => [...Array<T>(MAX_BATCH_DIMS - xs.length).fill(fill), ...[...xs].reverse()];
  // The blocked kernel spreads columns over invocations: for a narrow C (few columns, more rows) compute
  // C^T = B^T A^T instead, writing C through swapped strides.
  const swap = N < 32 && Mf > N;
  const base = swap
    ? {
        R: N, Cc: Mf, K, batch: nbatch, sXr: sBn, sXk: sBk, sYk: sAk, sYc: sAm, sCr: 1, sCc: N,
        hasBias: !!(bias || add), sBr: 1, sBc: add ? add.rs : 0, bOff: add?.off ?? 0, dims: pad(dims, 1), sx: pad(sb, 0), sy: pad(sa, 0),
      }
    : {
        R: Mf, Cc: N, K, batch: nbatch, sXr: sAm, sXk: sAk, sYk: sBk, sYc: sBn, sCr: N, sCc: 1,
        hasBias: !!(bias || add), sBr: add ? add.rs : 0, sBc: 1, bOff: add?.off ?? 0, dims: pad(dims, 1), sx: pad(sa, 0), sy: pad(sb, 0),
      };
  const internal = opts as MatmulInternalOptions;
  const devCaps = capsOf(a.device);
  const useSubgroups = devCaps.subgroups && internal.subgroups !== false;
  const uniformY = internal.uniformY ?? devCaps.uniformY;
  const plan = planMatmul({ ...base, ySize: (swap ? a : b).size }, { subgroups: useSubgroups, uniformY }, internal.variant);
  const params: MatmulParams = { ...base, plan, accumulate, act, addend: !!add };
  const extra = bias ?? add?.x ?? a;
  const inputs = swap ? [b, a, extra] : [a, b, extra];
  const outputs = pre ? [out, pre] : [out];
  if (a.device.backend !== 'webgpu') {
    a.device.run('matmul', inputs, outputs, params);
    return { y: out, pre };
  }
  // K in chunks (see planMatmul), and at most 65535 workgroups per dimension per dispatch
  const step = plan.kSplit > 0 ? plan.kSplit : Math.max(K, 1);
  if (plan.uboCols) {
    // a uniform Y of whole columns: a dispatch per block of uboCols columns, binding that block's window
    const wgCols = plan.WG * plan.TN;
    const [, gy, gz] = fullGrid(params);
    for (let cb = 0; cb < params.Cc; cb += plan.uboCols) {
      const win = viewAt(inputs[1], cb * base.sYc, [plan.uboVec4s * 4]);
      try {
        const gxn = Math.ceil(Math.min(plan.uboCols, params.Cc - cb) / wgCols);
        for (const { off, n } of splitGrid([gxn, gy, gz])) {
          const q = { ...plan, yb: cb, gx0: cb / wgCols + off[0], gxn: n[0], gy0: off[1], z0: off[2] };
          a.device.run('matmul', [inputs[0], win, inputs[2]], outputs, { ...params, plan: q });
        }
      } finally {
        win.dispose();
      }
    }
    return { y: out, pre };
  }
  for (let kb = 0; kb === 0 || kb < K; kb += step) {
    const chunk = { ...plan, kb, ke: Math.min(K, kb + step), acc: kb > 0 };
    // a uniform Y: this chunk's rows as a window of uboRows rows, the last one ending at K (see MatmulPlan.uboRows)
    let win: Tensor | null = null;
    if (plan.uboRows) {
      chunk.yb = Math.min(kb, K - plan.uboRows);
      win = viewAt(inputs[1], chunk.yb * base.sYk, [plan.uboVec4s * 4]);
    }
    const ins = win ? [inputs[0], win, inputs[2]] : inputs;
    try {
      for (const { off } of splitGrid(fullGrid(params))) {
        a.device.run('matmul', ins, outputs, { ...params, plan: { ...chunk, gx0: off[0], gy0: off[1], z0: off[2] } });
      }
    } finally {
      win?.dispose();
    }
  }
  return { y: out, pre };
}

const caps = new WeakMap<Device, { subgroups: boolean; uniformY: boolean }>();

/**
 * What the WGSL plan may use on this device: subgroups with at least 8 lanes (lane & 7 picks the k); Y as uniform
 * windows on llvmpipe only (its uniform gathers are cheaper than its storage loads; on a GPU a lane-varying
 * uniform index may serialise instead).
 */
function capsOf(device: Device): { subgroups: boolean; uniformY: boolean } {
  let c = caps.get(device);
  if (!c) {
    const g = (device as Partial<GpuDevice>).gpu;
    const min = (g as any)?.adapterInfo?.subgroupMinSize ?? 0;
    const info = (device as Partial<GpuDevice>).adapterInfo;
    const llvmpipe = /llvmpipe/i.test(`${info?.description ?? ''} ${info?.device ?? ''} ${info?.architecture ?? ''}`);
    c = { subgroups: device.backend === 'webgpu' && !!g?.features.has('subgroups') && min >= 8, uniformY: device.backend === 'webgpu' && llvmpipe };
    caps.set(device, c);
  }
  return c;
}
