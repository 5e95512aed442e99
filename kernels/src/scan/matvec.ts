/**
 * WGSL of the scan kernels' matrix products. A workgroup runs RB batch rows (b0 .. b0 + RB - 1) through the
 * recurrence together, so each step's product is an [RB, K] x W one whose weight loads are shared by the RB rows
 * (a row per workgroup would load every weight B times per step). Per row, the vector v (read from a storage
 * buffer through the accessors `load` and `load4`) meets the weight matrix W [rows, cols] (row-major); the
 * outputs are spread over the workgroup's lanes and stored at `dst` (the kernels apply what follows, the addend,
 * bias or activation, in an elementwise pass: one store site per row keeps llvmpipe's compile time small).
 *   'cols': y[o] = sum_k v[k] W[k, o]  (o < cols, k < rows): a layer's forward, x W
 *   'rows': y[o] = sum_k v[k] W[o, k]  (o < rows, k < cols): its input gradient, dy W^T
 * On llvmpipe every storage-buffer load runs lane by lane, so loads per multiply-add are what costs. The vec4
 * form (every size a multiple of 4, W bound as array<vec4<f32>>) gives each lane 4 adjacent outputs of every row
 * and reads v and W as vec4: RB + 4 loads per 16 RB multiply-adds. The scalar form serves every other size.
 * Rows past the batch (the last workgroup's) load row B - 1 and store nothing.
 */
export interface MatVec {
  kind: 'cols' | 'rows';
  /** the vector's first element index, in terms of $bt (a multiple of 4 in the vec4 form) */
  v: string;
  /** W's sizes (WGSL expressions) */
  rows: string;
  cols: string;
  /** the vector's buffer accessors: `${load}(i)` scalar, `${load}4(i)` the vec4 at i */
  load: string;
  /** W's binding */
  w: string;
  /** where row $b's (step row $bt's) outputs go (first element index; a multiple of 4 in the vec4 form) */
  dst: string;
  /** the destination buffer's accessors: `${store}(i, v)`, `${store}4(i, v)`, and `${dload}` / `${dload}4` */
  store: string;
  dload: string;
  /** add the products to the values already at dst (the sums then start from them) instead of overwriting */
  init?: boolean;
}

const BT = (b: string) => `((${b}) * u.T + t)`;
const rowExpr = (e: string, b: string) => e.replaceAll('$bt', BT(b)).replaceAll('$b', `(${b})`);

export function matvec(m: MatVec, vec4: boolean, sg = false): string {
  const { rows, cols, load, w, store, dload } = m;
  const vAt = rowExpr(m.v, 'min(b0 + r, u.B - 1u)');
  const dAt = rowExpr(m.dst, 'min(b0 + r, u.B - 1u)');
  const n = m.kind === 'cols' ? cols : rows;
  const k = m.kind === 'cols' ? rows : cols;
  if (!vec4) {
    const wi = m.kind === 'cols' ? `k * (${cols}) + o` : `o * (${cols}) + k`;
    return `for (var o = lid; o < ${n}; o += WG) {
      var y: array<f32, RB>;
      for (var r = 0u; r < RB; r++) { y[r] = ${m.init ? `${dload}(${dAt} + o)` : '0.0'}; }
      for (var k = 0u; k < ${k}; k++) {
        let wk = ${w}[${wi}];
        for (var r = 0u; r < RB; r++) { y[r] += ${load}(${vAt} + k) * wk; }
      }
      for (var r = 0u; r < RB; r++) { if (b0 + r < u.B) { ${store}(${dAt} + o, y[r]); } }
    }`;
  }
  const body =
    m.kind === 'cols'
      ? `let wb = 4u * k4 * c4 + q;
        let w0 = ${w}[wb];
        let w1 = ${w}[wb + c4];
        let w2 = ${w}[wb + 2u * c4];
        let w3 = ${w}[wb + 3u * c4];
        for (var r = 0u; r < RB; r++) { y[r] += x[r].x * w0 + x[r].y * w1 + x[r].z * w2 + x[r].w * w3; }`
      : `let wb = 4u * q * c4 + k4;
        let w0 = ${w}[wb];
        let w1 = ${w}[wb + c4];
        let w2 = ${w}[wb + 2u * c4];
        let w3 = ${w}[wb + 3u * c4];
        for (var r = 0u; r < RB; r++) { y[r] += vec4(dot(x[r], w0), dot(x[r], w1), dot(x[r], w2), dot(x[r], w3)); }`;
  if (sg) return matvecShared(m, body, vAt, dAt, n, k);
  return `for (var q = lid; q < (${n}) / 4u; q += WG) {
      let c4 = (${cols}) / 4u;
      var y: array<vec4<f32>, RB>;
      for (var r = 0u; r < RB; r++) { y[r] = ${m.init ? `${dload}4(${dAt} + 4u * q)` : 'vec4(0.0)'}; }
      for (var k4 = 0u; k4 < (${k}) / 4u; k4++) {
        var x: array<vec4<f32>, RB>;
        for (var r = 0u; r < RB; r++) { x[r] = ${load}4(${vAt} + 4u * k4); }
        ${body}
      }
      for (var r = 0u; r < RB; r++) { if (b0 + r < u.B) { ${store}4(${dAt} + 4u * q, y[r]); } }
    }`;
}

/**
 * The vec4 form with the vector's loads shared across a subgroup (needs subgroups of >= 8 lanes and the kernel's
 * `sgid`, its subgroup_invocation_id). Every lane of the workgroup reads the same vector, so in the plain form
 * each of RB vec4 loads per k4 is done by every lane (on llvmpipe a storage load runs lane by lane, the cost to
 * avoid). Here, per chunk of 8 k4, lane l of each subgroup loads the vec4 at k4 = k8 + l (l = sgid & 7) and step j
 * of the chunk takes lane j's by subgroupShuffle (a register move): RB / 8 loads per k4 instead of RB, the weights'
 * 4 loads unchanged. The sums run over k4 in the same order with the same expressions as the plain form, so the
 * results are bit-identical (tested). Control flow stays uniform around the shuffles: the q loop runs a uniform
 * number of times and lanes past the last output compute a clamped copy and store nothing.
 * Measured on lavapipe (2.6 GHz Xeon, idle, quick sizes B16 T50 D128 H128 Z256): forward scan 112 -> 84 ms,
 * backward 145 -> 112 ms, a quick state trainStep 519 -> 458 ms (interleaved runs); compile time unchanged (7 s /
 * 12 s); `node benchmarks/scan-forms.mjs` measures both forms (2026-12-03, idle, medians
 * of 4: 101 / 117 ms against 131 / 149). Unrolled subgroupBroadcasts into a private array were slower to compile (19 s / 28 s) and no faster.
 */
function matvecShared(m: MatVec, body: string, vAt: string, dAt: string, n: string, k: string): string {
  const { load, store, dload } = m;
  return `for (var q0 = 0u; q0 < (${n}) / 4u; q0 += WG) {
      let q = min(q0 + lid, (${n}) / 4u - 1u);
      let c4 = (${m.cols}) / 4u;
      let nk4 = (${k}) / 4u;
      var y: array<vec4<f32>, RB>;
      for (var r = 0u; r < RB; r++) { y[r] = ${m.init ? `${dload}4(${dAt} + 4u * q)` : 'vec4(0.0)'}; }
      for (var k8 = 0u; k8 < nk4; k8 += 8u) {
        let kl = min(k8 + (sgid & 7u), nk4 - 1u);
        var xs: array<vec4<f32>, RB>;
        for (var r = 0u; r < RB; r++) { xs[r] = ${load}4(${vAt} + 4u * kl); }
        for (var j = 0u; j < min(8u, nk4 - k8); j++) {
          let k4 = k8 + j;
          var x: array<vec4<f32>, RB>;
          for (var r = 0u; r < RB; r++) { x[r] = subgroupShuffle(xs[r], j); }
          ${body}
        }
      }
      if (q0 + lid < (${n}) / 4u) {
        for (var r = 0u; r < RB; r++) { if (b0 + r < u.B) { ${store}4(${dAt} + 4u * q, y[r]); } }
      }
    }`;
}

/**
 * Accessors of a storage buffer NAME of f32 (scalar form) or vec4<f32> (vec4 form) as f32 elements: fn `ld`(i),
 * fn `st`(i, v) (when writable) and, in the vec4 form, fn `ld`4(i) and `st`4(i, v) (the vec4 at element i, a
 * multiple of 4).
 */
export function accessors(name: string, ld: string, st: string | null, vec4: boolean): string {
  const el = vec4 ? `${name}[i >> 2u][i & 3u]` : `${name}[i]`;
  return [
    `fn ${ld}(i: u32) -> f32 { return ${el}; }`,
    st ? `fn ${st}(i: u32, v: f32) { ${el} = v; }` : '',
    vec4 ? `fn ${ld}4(i: u32) -> vec4<f32> { return ${name}[i >> 2u]; }` : '',
    vec4 && st ? `fn ${st}4(i: u32, v: vec4<f32>) { ${name}[i >> 2u] = v; }` : '',
  ].join('\n');
}
