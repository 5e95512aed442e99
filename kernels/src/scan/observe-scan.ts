import { weightBits, unimixFixed } from '../categorical/sampler.js';
import { assertDType } from '../core/dtype.js';
import { fmt } from '../core/shape.js';
import { empty, viewAt, VIEW_ALIGN_BYTES, type Tensor } from '../core/tensor.js';
import { deviceSubgroups8 } from '../conv/conv-kernels.js';
import { zeros } from '../elementwise/fill.js';
import { MATMUL_ACTS } from '../matmul/matmul-kernel.js';
import { matmul } from '../matmul/matmul.js';
import { sumTo } from '../reduce/reduce.js';
import { rngWords, type RngKey } from '../rng/rng.js';
import type { ScanAct, ScanBackwardLayout, ScanBackwardParams, ScanForwardLayout, ScanForwardParams, ScanSizes } from './scan-kernel.js';
import './scan-kernel.js';

/**
 * The inputs of the RSSM posterior scan. B rows, T steps; D = deter, H = hidden, Z = S * C (stoch x classes).
 * actIn and embIn are the time-independent parts of img_in and obs_out (the action and embed rows of their
 * weights applied to all steps, with the biases), added to the recurrent parts inside the scan.
 */
export interface ObserveScanInputs {
  /** [B, T, H]: a_t W_a + b_in (before the activation) */
  actIn: Tensor;
  /** [B, T, H]: e_t W_e + b_obs (before the activation) */
  embIn: Tensor;
  /** [B, T], f32 0 or 1: where a sequence starts, the previous h and z are multiplied by 1 - isFirst */
  isFirst: Tensor;
  /** [Z, H]: img_in's rows for z */
  wz: Tensor;
  /** [H, 3D], [D, 3D], [3D], [3D]: the LayerNorm GRU's (gruCell's) */
  wx: Tensor;
  wh: Tensor;
  gamma: Tensor;
  beta: Tensor;
  /** [D, H]: obs_out's rows for h */
  wo: Tensor;
  /** [H, Z], [Z]: the posterior head */
  wp: Tensor;
  bp: Tensor;
  /** The start state [B, D] and [B, S, C]; both or neither (then zeros, and z_{-1} W_z is left out at t = 0). */
  h0?: Tensor | null;
  z0?: Tensor | null;
}

export interface ObserveScanOptions {
  stoch: number;
  classes: number;
  act: ScanAct;
  unimix?: number;
  /** The RNG stream of step 0's samples: row b S + s of the key; step t's key offset is key.offset + t * offsetStep. */
  key: RngKey;
  offsetStep: number;
  /** gruCell's (DreamerV2: -1 and 1e-3) */
  updateBias?: number;
  eps?: number;
  /**
   * false: the per-lane vector loads even where the device has subgroups of >= 8 lanes (the kernels' other
   * form, for tests and measurements); the default shares them across subgroups there (matvec.ts). The forward
   * picks the form for its backward too. Both give the same bits.
   */
  subgroups?: boolean;
}

/** What observeScanBackward needs from the forward (windows of the forward's one buffer); dispose() frees them. */
export interface ObserveScanSaved {
  readonly all: Tensor;
  readonly hprev: Tensor;
  readonly zprev: Tensor;
  readonly xin: Tensor;
  readonly xobs: Tensor;
  readonly params: ScanForwardParams;
  dispose(): void;
}

const OP = 'observeScan';
/** Storage buffers the scan's kernels bind: 13 inputs and 1 output forward, 11 and 1 backward. */
const SCAN_BUFFERS = 14;

/**
 * Whether a device can run the scan: its kernels bind 14 storage buffers, above WebGPU's default limit of 8
 * (lavapipe offers 16). Callers with an unfused path (RSSM.observe) fall back to it where this is false.
 */
export function observeScanSupported(device: Tensor['device']): boolean {
  return device.limits().maxStorageBuffersPerKernel >= SCAN_BUFFERS;
}
const ALIGN = VIEW_ALIGN_BYTES / 4;

/** Offsets of consecutive regions of the given sizes, each rounded up to whole view alignments. */
function regions<K extends string>(sizes: Record<K, number>): Record<K, number> & { total: number } {
  const out = {} as Record<K, number> & { total: number };
  let at = 0;
  for (const k in sizes) {
    (out as Record<string, number>)[k] = at;
    at += Math.ceil(sizes[k] / ALIGN) * ALIGN;
  }
  out.total = Math.max(at, 1);
  return out;
}

function check(op: string, what: string, t: Tensor, shape: readonly number[], dev: Tensor['device']): void {
  t.storage(op);
  assertDType(op, what, 'f32', t.dtype);
  if (t.device !== dev) throw new Error(`${op}: ${what} must be on the device of actIn (${dev.label}), got ${t.device.label}`);
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) throw new Error(`${op}: ${what} must have shape ${fmt(shape)}, got ${fmt(t.shape)}`);
}

function sizesOf(op: string, x: ObserveScanInputs, o: { stoch: number; classes: number }): ScanSizes {
  if (x.actIn.rank !== 3) throw new Error(`${op}: actIn must have shape [B, T, H], got ${fmt(x.actIn.shape)}`);
  const [B, T, H] = x.actIn.shape;
  if (x.wx.rank !== 2 || x.wx.shape[1] % 3 !== 0) throw new Error(`${op}: wx must have shape [H, 3D], got ${fmt(x.wx.shape)}`);
  const D = x.wx.shape[1] / 3;
  const S = o.stoch;
  const C = o.classes;
  for (const [n, v] of [['stoch', S], ['classes', C]] as const) if (!Number.isInteger(v) || v < 1) throw new Error(`${op}: ${n} must be a positive integer, got ${v}`);
  if (B < 1 || T < 1 || H < 1 || D < 1) throw new Error(`${op}: B, T, H and D must be >= 1, got actIn ${fmt(x.actIn.shape)}, wx ${fmt(x.wx.shape)}`);
  if (B > 65535) throw new Error(`${op}: at most 65535 rows (one workgroup each), got B = ${B}`);
  const Z = S * C;
  const dev = x.actIn.device;
  check(op, 'actIn', x.actIn, [B, T, H], dev);
  check(op, 'embIn', x.embIn, [B, T, H], dev);
  check(op, 'isFirst', x.isFirst, [B, T], dev);
  check(op, 'wz', x.wz, [Z, H], dev);
  check(op, 'wx', x.wx, [H, 3 * D], dev);
  check(op, 'wh', x.wh, [D, 3 * D], dev);
  check(op, 'gamma', x.gamma, [3 * D], dev);
  check(op, 'beta', x.beta, [3 * D], dev);
  check(op, 'wo', x.wo, [D, H], dev);
  check(op, 'wp', x.wp, [H, Z], dev);
  check(op, 'bp', x.bp, [Z], dev);
  if (!x.h0 !== !x.z0) throw new Error(`${op}: h0 and z0 must both be given or both be omitted`);
  if (x.h0) check(op, 'h0', x.h0, [B, D], dev);
  if (x.z0) check(op, 'z0', x.z0, [B, S, C], dev);
  return { B, T, D, H, S, C };
}

/**
 * RSSM.observe's recurrence in one dispatch (see observe-scan-forward.wgsl for the maths): per step the masked
 * previous state, img_in (z part) + act, the LayerNorm GRU, obs_out (h part) + act, the posterior head and its
 * straight-through categorical sample, the same values as the unfused ops (linear with an addend, gruCell,
 * linear, categoricalSample with key { seed, offset: key.offset + t * offsetStep }) up to f32 summation order.
 * Returns deter [B, T, D], stoch [B, T, S, C] (one-hot) and what the backward needs.
 */
export function observeScan(x: ObserveScanInputs, opts: ObserveScanOptions): { deter: Tensor; stoch: Tensor; saved: ObserveScanSaved } {
  if (opts === null || typeof opts !== 'object') throw new Error(`${OP}: opts must be an object, got ${String(opts)}`);
  const z = sizesOf(OP, x, { stoch: opts.stoch, classes: opts.classes });
  const { B, T, D, H, S, C } = z;
  const lim = x.actIn.device.limits().maxStorageBuffersPerKernel;
  if (lim < SCAN_BUFFERS) throw new Error(`${OP}: needs ${SCAN_BUFFERS} storage buffers per kernel, ${x.actIn.device.label} allows ${lim} (see observeScanSupported)`);
  const act = opts.act;
  if (!MATMUL_ACTS.includes(act) || act === ('none' as string)) throw new Error(`${OP}: act must be one of ${MATMUL_ACTS.filter((a) => a !== 'none').join(', ')}, got '${String(act)}'`);
  const unimix = opts.unimix ?? 0;
  if (typeof unimix !== 'number' || !(unimix >= 0 && unimix < 1)) throw new Error(`${OP}: unimix must be a number in [0, 1), got ${String(unimix)}`);
  const updateBias = opts.updateBias ?? -1;
  const eps = opts.eps ?? 1e-3;
  if (!Number.isFinite(updateBias)) throw new Error(`${OP}: updateBias must be a finite number, got ${updateBias}`);
  if (!(eps >= 0 && Number.isFinite(eps))) throw new Error(`${OP}: eps must be a finite number >= 0, got ${eps}`);
  const words = rngWords(OP, opts.key);
  const ostep = opts.offsetStep;
  if (!Number.isInteger(ostep) || ostep < 0 || ostep * (T - 1) >= 2 ** 32) throw new Error(`${OP}: offsetStep must be an integer >= 0 with offsetStep * (T - 1) < 2^32, got ${ostep}`);
  if (!Number.isSafeInteger((opts.key.offset ?? 0) + ostep * (T - 1))) throw new Error(`${OP}: key.offset + offsetStep * (T - 1) must be a safe integer`);
  const BT = B * T;
  const Z = S * C;
  const L: ScanForwardLayout = regions({
    deter: BT * D,
    stoch: BT * Z,
    hprev: BT * D,
    zprev: BT * Z,
    ain: BT * H,
    xin: BT * H,
    pre: BT * 3 * D,
    stats: BT * 2,
    aobs: BT * H,
    xobs: BT * H,
    probs: BT * Z,
  });
  const dev = x.actIn.device;
  const all = empty(dev, [L.total], 'f32');
  const hasStart = !!x.h0;
  if (opts.subgroups !== undefined && typeof opts.subgroups !== 'boolean') throw new Error(`${OP}: subgroups must be a boolean, got ${String(opts.subgroups)}`);
  const sg = opts.subgroups !== false && deviceSubgroups8(dev);
  const p: ScanForwardParams = { ...z, sg, act, hasStart, unimix, eps, updateBias, q: weightBits(C), M: unimixFixed(unimix), ...words, ostep, L };
  // without a start, any tensor stands in for h0 and z0 (never read)
  const h0 = x.h0 ?? x.actIn;
  const z0 = x.z0 ?? x.actIn;
  dev.run('observe_scan', [x.actIn, x.embIn, x.isFirst, x.wz, x.wx, x.wh, x.gamma, x.beta, x.wo, x.wp, x.bp, h0, z0], [all], p);
  const deter = viewAt(all, L.deter, [B, T, D]);
  const stoch = viewAt(all, L.stoch, [B, T, S, C]);
  const views = { hprev: viewAt(all, L.hprev, [BT, D]), zprev: viewAt(all, L.zprev, [BT, Z]), xin: viewAt(all, L.xin, [BT, H]), xobs: viewAt(all, L.xobs, [BT, H]) };
  const saved: ObserveScanSaved = {
    all,
    ...views,
    params: p,
    dispose() {
      all.dispose();
      for (const v of Object.values(views)) v.dispose();
    },
  };
  return { deter, stoch, saved };
}

/** The gradients observeScanBackward can compute; each is skipped unless asked for. */
export interface ObserveScanGrads {
  actIn: Tensor;
  embIn: Tensor;
  wz: Tensor;
  wx: Tensor;
  wh: Tensor;
  gamma: Tensor;
  beta: Tensor;
  wo: Tensor;
  wp: Tensor;
  bp: Tensor;
  h0: Tensor;
  z0: Tensor;
}

/**
 * Gradients of the scan from dDeter [B, T, D] and dStoch [B, T, S, C] (null: zero). One dispatch runs the
 * recurrence backwards (observe-scan-backward.wgsl) and leaves the gradients of every step's matmul outputs;
 * the weight gradients are then one matmul over all B T rows each (dW = X^T dY), the bias, gamma and beta
 * gradients one sum each. `deter` is the forward's output. Only the gradients named in `want` are computed.
 */
export function observeScanBackward(
  dDeter: Tensor | null,
  dStoch: Tensor | null,
  saved: ObserveScanSaved,
  x: ObserveScanInputs,
  deter: Tensor,
  want: ReadonlySet<keyof ObserveScanGrads>,
): Partial<ObserveScanGrads> {
  const op = 'observeScanBackward';
  const p = saved.params;
  const z = sizesOf(op, x, { stoch: p.S, classes: p.C });
  const { B, T, D, H, S, C } = z;
  if (z.B !== p.B || z.T !== p.T || z.D !== p.D || z.H !== p.H) throw new Error(`${op}: the inputs' sizes differ from the forward's`);
  if (!!x.h0 !== p.hasStart) throw new Error(`${op}: the start state must be given exactly when the forward had one`);
  const dev = x.actIn.device;
  const BT = B * T;
  const Z = S * C;
  check(op, 'deter', deter, [B, T, D], dev);
  if (dDeter) check(op, 'dDeter', dDeter, [B, T, D], dev);
  if (dStoch) check(op, 'dStoch', dStoch, [B, T, S, C], dev);
  const dh = dDeter ?? zeros(dev, [B, T, D]);
  const dz = dStoch ?? zeros(dev, [B, T, S, C]);
  const G: ScanBackwardLayout = regions({ ain: BT * H, aobs: BT * H, logits: BT * Z, pre: BT * 3 * D, gamma: B * 3 * D, beta: B * 3 * D, h0: B * D, z0: B * Z, sums: B * 2 });
  const go = empty(dev, [G.total], 'f32');
  const bp: ScanBackwardParams = { ...z, sg: p.sg, act: p.act, hasStart: p.hasStart, unimix: p.unimix, updateBias: p.updateBias, L: p.L, G };
  dev.run('observe_scan_backward', [dh, dz, saved.all, x.isFirst, x.wz, x.wx, x.wh, x.gamma, x.beta, x.wo, x.wp], [go], bp);
  if (!dDeter) dh.dispose();
  if (!dStoch) dz.dispose();
  const view = (at: number, shape: number[]) => viewAt(go, at, shape);
  const out: Partial<ObserveScanGrads> = {};
  const dain = view(G.ain, [BT, H]);
  const daobs = view(G.aobs, [BT, H]);
  const dlog = view(G.logits, [BT, Z]);
  const dpre = view(G.pre, [BT, 3 * D]);
  const h2 = deter.reshape([BT, D]);
  if (want.has('actIn')) out.actIn = view(G.ain, [B, T, H]);
  if (want.has('embIn')) out.embIn = view(G.aobs, [B, T, H]);
  if (want.has('wz')) out.wz = matmul(saved.zprev, dain, { transA: true });
  if (want.has('wx')) out.wx = matmul(saved.xin, dpre, { transA: true });
  if (want.has('wh')) out.wh = matmul(saved.hprev, dpre, { transA: true });
  if (want.has('wo')) out.wo = matmul(h2, daobs, { transA: true });
  if (want.has('wp')) out.wp = matmul(saved.xobs, dlog, { transA: true });
  if (want.has('bp')) out.bp = sumTo(dlog, [Z]);
  if (want.has('gamma') || want.has('beta')) {
    const gg = view(G.gamma, [B, 3 * D]);
    const gb = view(G.beta, [B, 3 * D]);
    if (want.has('gamma')) out.gamma = sumTo(gg, [3 * D]);
    if (want.has('beta')) out.beta = sumTo(gb, [3 * D]);
    gg.dispose();
    gb.dispose();
  }
  if (p.hasStart && want.has('h0')) out.h0 = view(G.h0, [B, D]);
  if (p.hasStart && want.has('z0')) out.z0 = view(G.z0, [B, S, C]);
  for (const t of [dain, daobs, dlog, dpre, h2, go]) t.dispose();
  return out;
}
