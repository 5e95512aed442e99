/**
 * The CPU reference of the render kernel: the same maths as render.wgsl over the same packed buffers
 * (pack.ts), in f64 (the shader is f32). It defines the result the WGSL kernel is tested against.
 *
 * Per pixel: a ray from the camera through the pixel centre; every visible geom of the scene is intersected
 * analytically in its local frame (local = mat^T (world - pos)); the nearest hit with t > EPS is shaded
 *   colour = base * (ambient + diffuse * max(0, n . -lightDir) * lit)
 * where base is the geom's RGB (times its texture's colour when it has one) and lit is 0 when a shadow ray
 * towards the light hits any geom (when the scene has shadows), else 1. A ray that hits nothing takes the
 * background texture at the screen position. Bytes are round(clamp(c, 0, 1) * 255).
 */
import { GEOM_F, GEOM_I, SCENE_F, SCENE_I, TEX_F, TEX_I, type RenderParams } from './pack.js';
import { patternCpu } from './textures.js';

const EPS = 1e-4;
const TINY = 1e-12;
const NO_HIT = 1e30;
const BIG = 1e15;

/** 1 / d with |d| kept >= TINY (the shader's safe_inv). */
const safeInv = (d: number) => 1 / (Math.abs(d) < TINY ? (d < 0 ? -TINY : TINY) : d);

export class CpuRenderer {
  /** Result of subHit: t (NO_HIT = miss) and the local normal. */
  readonly h = [NO_HIT, 0, 0, 0];
  readonly p = [0, 0, 0];
  readonly q = [0, 0, 0];
  readonly tmp = [0, 0, 0];

  constructor(
    readonly F: Float32Array,
    readonly I: Int32Array,
    readonly IMG: Uint8Array,
    readonly prm: RenderParams,
  ) {}

  /** out = mat^T (v - pos) for a point, mat^T v for a direction (geom g's local frame). */
  toLocal(g: number, vx: number, vy: number, vz: number, isPoint: boolean, out: number[]): void {
    const F = this.F;
    const b = this.prm.geomF + g * GEOM_F;
    const rx = isPoint ? vx - F[b] : vx;
    const ry = isPoint ? vy - F[b + 1] : vy;
    const rz = isPoint ? vz - F[b + 2] : vz;
    out[0] = F[b + 3] * rx + F[b + 6] * ry + F[b + 9] * rz;
    out[1] = F[b + 4] * rx + F[b + 7] * ry + F[b + 10] * rz;
    out[2] = F[b + 5] * rx + F[b + 8] * ry + F[b + 11] * rz;
  }

  /**
   * Sub-primitive k of a geom of type gtype and size (s0, s1, s2) against the local ray (p, q), into this.h.
   * A sub-primitive is a quadric sum((x_i kv_i)^2) <= 1 intersected with slabs |x_i| <= w_i: see render.wgsl.
   */
  subHit(gtype: number, k: number, s0: number, s1: number, s2: number, p: number[], q: number[]): void {
    let cz = 0;
    let kx = 1 / s0;
    let ky = kx;
    let kz = kx;
    let wx = BIG;
    let wy = BIG;
    let wz = BIG;
    let quadric = true;
    let ok = true;
    if (gtype === 0) {
      wx = s0 > 0 ? s0 : BIG;
      wy = s1 > 0 ? s1 : BIG;
      wz = 0;
      quadric = false;
      ok = p[2] > 0;
    } else if (gtype === 6) {
      wx = s0;
      wy = s1;
      wz = s2;
      quadric = false;
    } else if (gtype === 4) {
      kx = 1 / s0;
      ky = 1 / s1;
      kz = 1 / s2;
    } else if ((gtype === 3 || gtype === 5) && k === 0) {
      kz = 0;
      wz = s1;
    } else if (gtype === 3) {
      cz = k === 1 ? s1 : -s1;
    }
    const px = p[0];
    const py = p[1];
    const pz = p[2] - cz;
    const [qx, qy, qz] = q;
    let t0 = -BIG;
    let t1 = BIG;
    if (quadric) {
      const ex = px * kx;
      const ey = py * ky;
      const ez = pz * kz;
      const fx = qx * kx;
      const fy = qy * ky;
      const fz = qz * kz;
      const aa = fx * fx + fy * fy + fz * fz;
      const bb = ex * fx + ey * fy + ez * fz;
      const cc = ex * ex + ey * ey + ez * ez - 1;
      if (aa < TINY) {
        ok = ok && cc <= 0;
      } else {
        const disc = bb * bb - aa * cc;
        if (disc < 0) ok = false;
        else {
          const sq = Math.sqrt(disc);
          t0 = (-bb - sq) / aa;
          t1 = (-bb + sq) / aa;
        }
      }
    }
    const ix = safeInv(qx);
    const iy = safeInv(qy);
    const iz = safeInv(qz);
    const lx = (-wx - px) * ix;
    const hx = (wx - px) * ix;
    const ly = (-wy - py) * iy;
    const hy = (wy - py) * iy;
    const lz = (-wz - pz) * iz;
    const hz = (wz - pz) * iz;
    const nmx = Math.min(lx, hx);
    const nmy = Math.min(ly, hy);
    const nmz = Math.min(lz, hz);
    const smin = Math.max(nmx, nmy, nmz);
    const tmin = Math.max(t0, smin);
    const tmax = Math.min(t1, Math.max(lx, hx), Math.max(ly, hy), Math.max(lz, hz));
    const h = this.h;
    if (!(ok && tmax >= tmin && tmin > EPS)) {
      h[0] = NO_HIT;
      return;
    }
    h[0] = tmin;
    h[1] = 0;
    h[2] = 0;
    h[3] = qz > 0 ? -1 : 1;
    if (t0 >= smin) {
      h[1] = (px + tmin * qx) * kx * kx;
      h[2] = (py + tmin * qy) * ky * ky;
      h[3] = (pz + tmin * qz) * kz * kz;
    } else if (smin === nmx) {
      h[1] = qx > 0 ? -1 : 1;
      h[3] = 0;
    } else if (smin === nmy) {
      h[2] = qy > 0 ? -1 : 1;
      h[3] = 0;
    }
  }

  /**
   * True when the unit ray (p, q) misses the bounding sphere of the geom at F[b] or meets it beyond maxT (a
   * conservative speed-up, as in the shader: the radius has a margin).
   */
  missesBound(b: number, p: number[], q: number[], maxT: number): boolean {
    const br = this.F[b + 18];
    if (!(br > 0)) return false;
    const bb = p[0] * q[0] + p[1] * q[1] + p[2] * q[2];
    const cc = p[0] * p[0] + p[1] * p[1] + p[2] * p[2] - br * br;
    if (cc <= 0) return false;
    const disc = bb * bb - cc;
    return bb > 0 || disc < 0 || -bb - Math.sqrt(disc) > maxT;
  }

  /** Colour of texture `ti` at texture coordinate (u, v), into out[0..2]. */
  texColor(ti: number, u: number, v: number, out: number[]): void {
    const F = this.F;
    const o = this.prm.texF + ti * TEX_F;
    const oi = this.prm.texI + ti * TEX_I;
    const code = this.I[oi];
    const su = u * F[o + 6];
    const sv = v * F[o + 6];
    const c = F[o + 7];
    const s = F[o + 8];
    const px = c * su - s * sv + F[o + 9];
    const py = s * su + c * sv + F[o + 10];
    if (code === 12) {
      const w = this.I[oi + 2];
      const h = this.I[oi + 3];
      const x = Math.min(Math.floor((px - Math.floor(px)) * w), w - 1);
      const y = Math.min(Math.floor((py - Math.floor(py)) * h), h - 1);
      const k = 4 * (this.I[oi + 1] + y * w + x);
      out[0] = this.IMG[k] / 255;
      out[1] = this.IMG[k + 1] / 255;
      out[2] = this.IMG[k + 2] / 255;
      return;
    }
    const t = patternCpu(code, px, py, F[o + 11], F[o + 12], F[o + 13] >>> 0);
    out[0] = F[o] + (F[o + 3] - F[o]) * t;
    out[1] = F[o + 1] + (F[o + 4] - F[o + 1]) * t;
    out[2] = F[o + 2] + (F[o + 5] - F[o + 2]) * t;
  }

  /** Shades scene s seen through image point (px, py) (pixel units; a pixel's centre is x + 0.5) into out[0..2] (linear colour, unclamped). */
  shade(s: number, px: number, py: number, out: number[]): void {
    const F = this.F;
    const I = this.I;
    const { width: W, height: H, geomF, geomI } = this.prm;
    const c = s * SCENE_F;
    const sx = (2 * px) / W - 1;
    const sy = 1 - (2 * py) / H;
    let dx = F[c + 9] + sx * F[c + 3] + sy * F[c + 6];
    let dy = F[c + 10] + sx * F[c + 4] + sy * F[c + 7];
    let dz = F[c + 11] + sx * F[c + 5] + sy * F[c + 8];
    const dl = Math.sqrt(dx * dx + dy * dy + dz * dz);
    dx /= dl;
    dy /= dl;
    dz /= dl;
    const ox = F[c];
    const oy = F[c + 1];
    const oz = F[c + 2];
    const si = s * SCENE_I;
    const g0 = I[si];
    const g1 = g0 + I[si + 1];
    const { p, q, h } = this;
    // camera ray: nearest hit over every sub-primitive of every geom
    let bestT = NO_HIT;
    let bestG = -1;
    let bnx = 0;
    let bny = 0;
    let bnz = 0;
    for (let g = g0; g < g1; g++) {
      const gtype = I[geomI + g * GEOM_I];
      const b = geomF + g * GEOM_F;
      this.toLocal(g, ox, oy, oz, true, p);
      this.toLocal(g, dx, dy, dz, false, q);
      if (this.missesBound(b, p, q, bestT)) continue;
      for (let k = 0; k < (gtype === 3 ? 3 : 1); k++) {
        this.subHit(gtype, k, F[b + 12], F[b + 13], F[b + 14], p, q);
        if (h[0] < bestT) {
          bestT = h[0];
          bnx = h[1];
          bny = h[2];
          bnz = h[3];
          bestG = g;
        }
      }
    }
    let ti = I[si + 2];
    let u = px / H;
    let v = py / H;
    out[0] = 1;
    out[1] = 1;
    out[2] = 1;
    let light = 1;
    if (bestG >= 0) {
      const b = geomF + bestG * GEOM_F;
      // world normal = mat * local normal, facing the camera
      let wx = F[b + 3] * bnx + F[b + 4] * bny + F[b + 5] * bnz;
      let wy = F[b + 6] * bnx + F[b + 7] * bny + F[b + 8] * bnz;
      let wz = F[b + 9] * bnx + F[b + 10] * bny + F[b + 11] * bnz;
      const wl = Math.sqrt(wx * wx + wy * wy + wz * wz);
      wx /= wl;
      wy /= wl;
      wz /= wl;
      if (wx * dx + wy * dy + wz * dz > 0) {
        wx = -wx;
        wy = -wy;
        wz = -wz;
      }
      const Lx = -F[c + 12];
      const Ly = -F[c + 13];
      const Lz = -F[c + 14];
      let ndl = Math.max(0, wx * Lx + wy * Ly + wz * Lz);
      if (ndl > 0 && I[si + 3] !== 0) {
        // shadow ray from just above the hit towards the light: any hit shadows it
        const hx = ox + bestT * dx + wx * 1e-3;
        const hy = oy + bestT * dy + wy * 1e-3;
        const hz = oz + bestT * dz + wz * 1e-3;
        shadow: for (let g = g0; g < g1; g++) {
          const gtype = I[geomI + g * GEOM_I];
          const gb = geomF + g * GEOM_F;
          this.toLocal(g, hx, hy, hz, true, p);
          this.toLocal(g, Lx, Ly, Lz, false, q);
          if (this.missesBound(gb, p, q, NO_HIT)) continue;
          for (let k = 0; k < (gtype === 3 ? 3 : 1); k++) {
            this.subHit(gtype, k, F[gb + 12], F[gb + 13], F[gb + 14], p, q);
            if (h[0] < NO_HIT) {
              ndl = 0;
              break shadow;
            }
          }
        }
      }
      light = F[c + 15] + F[c + 16] * ndl;
      out[0] = F[b + 15];
      out[1] = F[b + 16];
      out[2] = F[b + 17];
      ti = I[geomI + bestG * GEOM_I + 1];
      // texture coordinate: the local hit point across the dominant axis of the local normal
      const lo = this.tmp;
      this.toLocal(bestG, ox, oy, oz, true, lo);
      this.toLocal(bestG, dx, dy, dz, false, q);
      const lx = lo[0] + bestT * q[0];
      const ly = lo[1] + bestT * q[1];
      const lz = lo[2] + bestT * q[2];
      const ax = Math.abs(bnx);
      const ay = Math.abs(bny);
      const az = Math.abs(bnz);
      u = lx;
      v = ly;
      if (ax >= ay && ax >= az) {
        u = ly;
        v = lz;
      } else if (ay >= az) {
        u = lx;
        v = lz;
      }
    }
    if (ti >= 0) {
      const tc = this.tmp;
      this.texColor(ti, u, v, tc);
      out[0] *= tc[0];
      out[1] *= tc[1];
      out[2] *= tc[2];
    }
    out[0] *= light;
    out[1] *= light;
    out[2] *= light;
  }
}

const toByte = (v: number) => Math.floor(Math.min(Math.max(v, 0), 1) * 255 + 0.5);

/** Sample offsets within a pixel: the centre, or MSAA 4x's rotated grid (x, y) = (3, 1), (7, 3), (1, 5), (5, 7) / 8. */
const OFFSETS: Readonly<Record<number, readonly (readonly [number, number])[]>> = {
  1: [[0.5, 0.5]],
  4: [[0.375, 0.125], [0.875, 0.375], [0.125, 0.625], [0.625, 0.875]],
};

/** Renders every pixel of every scene into out (u8 [n, H, W, 3]), averaging p.samples rays per pixel in linear colour. */
export function renderCpu(F: Float32Array, I: Int32Array, IMG: Uint8Array, out: Uint8Array, p: RenderParams): void {
  const r = new CpuRenderer(F, I, IMG, p);
  const offsets = OFFSETS[p.samples];
  if (!offsets) throw new Error(`renderCpu: samples must be 1 or 4, got ${String(p.samples)}`);
  const col = [0, 0, 0];
  const sum = [0, 0, 0];
  const inv = 1 / offsets.length;
  let k = 0;
  for (let s = 0; s < p.n; s++) {
    for (let y = 0; y < p.height; y++) {
      for (let x = 0; x < p.width; x++) {
        sum[0] = sum[1] = sum[2] = 0;
        for (const [ox, oy] of offsets) {
          r.shade(s, x + ox, y + oy, col);
          sum[0] += col[0];
          sum[1] += col[1];
          sum[2] += col[2];
        }
        // the WGSL kernel multiplies its 4-sample sum by 0.25 (exact either way for a power of two)
        out[k++] = toByte(sum[0] * inv);
        out[k++] = toByte(sum[1] * inv);
        out[k++] = toByte(sum[2] * inv);
      }
    }
  }
}
