// Batched ray-cast renderer: every pixel of every scene of the batch in one dispatch.
// Buffer layouts are documented in pack.ts; render-cpu.ts is the reference this file mirrors.
//
// One invocation shades one pixel into workgroup memory; after a barrier the first 3/4 of the workgroup packs
// the WG pixels (3 bytes each; WG is a multiple of 4, so a workgroup owns whole u32 words) into the u8 output.
//
// Each geom first gets a bounding-sphere test (radius packed by pack.ts): a pure speed-up, the CPU reference
// does without it (its radius has a margin, so it never rejects a real hit).
//
// Scene data in workgroup memory (SHARED, chosen by render-kernel.ts when every workgroup's pixels belong to one
// scene, i.e. width * height is a multiple of WG, and its geoms fit MAXG): the workgroup first copies its scene's
// floats and ints and its geoms' into workgroup arrays, and the ray casting reads them there. The values and the
// arithmetic are the same, so the images are bit for bit those of the global reads; the point is llvmpipe, where
// every storage-buffer load inside the loop is a bounds-checked scalar load per lane (kernels README).
//
// Shape of the code: lavapipe (software Vulkan) compiles each shader to per-lane LLVM code, and nested loops
// with big bodies made that take tens of seconds. So the ray casting is ONE flat loop over (ray, geom,
// sub-primitive) states with one intersection routine for every geom type (see sub_hit).

struct Params {
  n: u32,
  width: u32,
  height: u32,
  geomF: u32,
  texF: u32,
  geomI: u32,
  texI: u32,
  samples: u32, // rays per pixel: 1 (the centre) or 4 (rotated grid)
}

@group(0) @binding(0) var<storage, read> F: array<f32>;
@group(0) @binding(1) var<storage, read> I: array<i32>;
@group(0) @binding(2) var<storage, read> IMG: array<u32>;
@group(0) @binding(3) var<storage, read_write> OUT: array<u32>;
@group(0) @binding(4) var<uniform> u: Params;

override WG: u32 = 64;
override SHARED: bool = false;

var<workgroup> tile: array<u32, WG>;
const MAXG: u32 = 32u;
var<workgroup> sF: array<f32, 660>; // SCENE_F + MAXG * GEOM_F: the scene's floats, then its geoms'
var<workgroup> sI: array<i32, 68>;  // SCENE_I + MAXG * GEOM_I
var<private> sg0: u32;              // the first geom of the workgroup's scene (SHARED)

const SCENE_F: u32 = 20u;
const GEOM_F: u32 = 20u;
const TEX_F: u32 = 16u;
const SCENE_I: u32 = 4u;
const GEOM_I: u32 = 2u;
const TEX_I: u32 = 4u;
const EPS: f32 = 1e-4;
const TINY: f32 = 1e-12;
const NO_HIT: f32 = 1e30;
const BIG: f32 = 1e15; // the half-width of an unbounded slab (finite, so no infinities reach the maths)
const TAU: f32 = 6.283185307179586;

fn gvec(b: u32) -> vec3<f32> { return vec3<f32>(F[b], F[b + 1u], F[b + 2u]); }

// Scene s's float j, int j; geom g's float j, int j: from the workgroup's copy (SHARED) or the buffers.
fn sf(s: u32, j: u32) -> f32 {
  if (SHARED) { return sF[j]; }
  return F[s * SCENE_F + j];
}
fn sint(s: u32, j: u32) -> i32 {
  if (SHARED) { return sI[j]; }
  return I[s * SCENE_I + j];
}
fn gf(g: u32, j: u32) -> f32 {
  if (SHARED) { return sF[SCENE_F + (g - sg0) * GEOM_F + j]; }
  return F[u.geomF + g * GEOM_F + j];
}
fn gint(g: u32, j: u32) -> i32 {
  if (SHARED) { return sI[SCENE_I + (g - sg0) * GEOM_I + j]; }
  return I[u.geomI + g * GEOM_I + j];
}
fn svec(s: u32, j: u32) -> vec3<f32> { return vec3<f32>(sf(s, j), sf(s, j + 1u), sf(s, j + 2u)); }
fn gvec3(g: u32, j: u32) -> vec3<f32> { return vec3<f32>(gf(g, j), gf(g, j + 1u), gf(g, j + 2u)); }

// 1 / d, with |d| kept >= TINY so the result stays finite (<= 1e12; products with BIG stay < 1e28)
fn safe_inv(d: f32) -> f32 {
  if (abs(d) < TINY) { return 1.0 / select(TINY, -TINY, d < 0.0); }
  return 1.0 / d;
}

// Ray (p, q) in geom g's local frame: local = mat^T (world - pos); mat is row-major, its columns the local axes.
fn to_local(g: u32, v: vec3<f32>, is_point: bool) -> vec3<f32> {
  let r = select(v, v - gvec3(g, 0u), is_point);
  return vec3<f32>(
    gf(g, 3u) * r.x + gf(g, 6u) * r.y + gf(g, 9u) * r.z,
    gf(g, 4u) * r.x + gf(g, 7u) * r.y + gf(g, 10u) * r.z,
    gf(g, 5u) * r.x + gf(g, 8u) * r.y + gf(g, 11u) * r.z);
}

// Number of sub-primitives of geom type t: a capsule is a cylinder plus two spheres, the rest one.
fn sub_count(t: i32) -> u32 { return select(1u, 3u, t == 3); }

// Sub-primitive k of geom g against the local ray (p, q): returns (t, local normal), t = NO_HIT for a miss.
// A sub-primitive is the intersection of a quadric sum((x_i * kv_i)^2) <= 1 (kv_i = 0 drops axis i; box and
// plane have no quadric) with slabs |x_i| <= w_i (BIG = unbounded): sphere/ellipsoid = quadric; box = slabs;
// cylinder = xy quadric and z slab; plane = the slab z = 0 within its half sizes (0 = infinite), from +z only;
// capsule = cylinder and spheres centred at z = +-half length.
fn sub_hit(gtype: i32, k: u32, sz: vec3<f32>, p: vec3<f32>, q: vec3<f32>) -> vec4<f32> {
  var cz = 0.0;
  var kv = vec3<f32>(1.0 / sz.x); // sphere
  var w = vec3<f32>(BIG);
  var quadric = true;
  var ok = true;
  if (gtype == 0) {
    w = vec3<f32>(select(BIG, sz.x, sz.x > 0.0), select(BIG, sz.y, sz.y > 0.0), 0.0);
    quadric = false;
    ok = p.z > 0.0;
  } else if (gtype == 6) {
    w = sz;
    quadric = false;
  } else if (gtype == 4) {
    kv = 1.0 / sz;
  } else if ((gtype == 3 || gtype == 5) && k == 0u) {
    kv = vec3<f32>(1.0 / sz.x, 1.0 / sz.x, 0.0);
    w = vec3<f32>(BIG, BIG, sz.y);
  } else if (gtype == 3) {
    cz = select(-sz.y, sz.y, k == 1u);
  }
  let pp = p - vec3<f32>(0.0, 0.0, cz);
  var t0 = -BIG;
  var t1 = BIG;
  if (quadric) {
    let e = pp * kv;
    let f = q * kv;
    let aa = dot(f, f);
    let bb = dot(e, f);
    let cc = dot(e, e) - 1.0;
    if (aa < TINY) {
      ok = ok && cc <= 0.0; // along a cylinder's axis: inside it or never
    } else {
      let disc = bb * bb - aa * cc;
      if (disc < 0.0) {
        ok = false;
      } else {
        let sq = sqrt(disc);
        t0 = (-bb - sq) / aa;
        t1 = (-bb + sq) / aa;
      }
    }
  }
  let inv = vec3<f32>(safe_inv(q.x), safe_inv(q.y), safe_inv(q.z));
  let lo = (-w - pp) * inv;
  let hi = (w - pp) * inv;
  let nm = min(lo, hi);
  let xm = max(lo, hi);
  let smin = max(max(nm.x, nm.y), nm.z);
  let tmin = max(t0, smin);
  let tmax = min(t1, min(min(xm.x, xm.y), xm.z));
  if (!(ok && tmax >= tmin && tmin > EPS)) { return vec4<f32>(NO_HIT, 0.0, 0.0, 0.0); }
  var n = vec3<f32>(0.0, 0.0, select(1.0, -1.0, q.z > 0.0));
  if (t0 >= smin) { n = (pp + tmin * q) * kv * kv; }
  else if (smin == nm.x) { n = vec3<f32>(select(1.0, -1.0, q.x > 0.0), 0.0, 0.0); }
  else if (smin == nm.y) { n = vec3<f32>(0.0, select(1.0, -1.0, q.y > 0.0), 0.0); }
  return vec4<f32>(tmin, n);
}

fn hash3(x: u32, y: u32, s: u32) -> u32 {
  var h = (x * 0x8da6b343u) ^ (y * 0xd8163841u) ^ (s * 0xcb1ab31fu);
  h = (h ^ (h >> 16u)) * 0x7feb352du;
  h = (h ^ (h >> 15u)) * 0x846ca68bu;
  return h ^ (h >> 16u);
}

fn hash01(x: i32, y: i32, s: u32) -> f32 {
  return f32(hash3(bitcast<u32>(x), bitcast<u32>(y), s) >> 8u) / 16777216.0;
}

fn value_noise(p: vec2<f32>, seed: u32) -> f32 {
  let fl = floor(p);
  let i = vec2<i32>(fl);
  let u0 = p - fl;
  let w = u0 * u0 * (3.0 - 2.0 * u0);
  let v00 = hash01(i.x, i.y, seed);
  let v10 = hash01(i.x + 1, i.y, seed);
  let v01 = hash01(i.x, i.y + 1, seed);
  let v11 = hash01(i.x + 1, i.y + 1, seed);
  let a = v00 + (v10 - v00) * w.x;
  let b = v01 + (v11 - v01) * w.x;
  return a + (b - a) * w.y;
}

// t in [0, 1] of procedural family `code` at p (textures.ts: patternCpu).
fn tex_pattern(code: i32, p: vec2<f32>, a: f32, b: f32, seed: u32) -> f32 {
  // two octaves of value noise, shared by 'noise' and 'marble'
  var n0 = 0.0;
  var n1 = 0.0;
  if (code == 6 || code == 10) {
    n0 = value_noise(p, seed);
    n1 = value_noise(p * 2.0, seed + 1u);
  }
  switch (code) {
    case 1: {
      let i = vec2<i32>(floor(p));
      return f32((i.x + i.y) & 1);
    }
    case 2: { return select(0.0, 1.0, fract(p.x) < a); }
    case 3: {
      let t = abs(fract(p.x * 0.5) * 2.0 - 1.0);
      return t * t * (3.0 - 2.0 * t);
    }
    case 4: { return select(0.0, 1.0, length(fract(p) - 0.5) < a * 0.5); }
    case 5: {
      let f = fract(p);
      return select(0.0, 1.0, min(f.x, f.y) < a);
    }
    case 6: {
      let nz = 0.6 * n0 + 0.4 * n1;
      return clamp((nz - 0.5) * (1.0 + 3.0 * a) + 0.5, 0.0, 1.0);
    }
    case 7: { return select(0.0, 1.0, fract(length(p)) < a); }
    case 8: {
      let z = p.x + a * sin(TAU * fract(p.y * 0.5));
      return 0.5 + 0.5 * sin(TAU * fract(z));
    }
    case 9: {
      let c = vec2<i32>(floor(p));
      var best = 1e30;
      var bc = c;
      for (var k = 0; k < 9; k++) {
        {
          let gc = c + vec2<i32>(k % 3 - 1, k / 3 - 1);
          let fx = f32(gc.x) + 0.5 + a * (hash01(gc.x, gc.y, seed) - 0.5);
          let fy = f32(gc.y) + 0.5 + a * (hash01(gc.x, gc.y, seed + 7u) - 0.5);
          let d = (fx - p.x) * (fx - p.x) + (fy - p.y) * (fy - p.y);
          if (d < best) {
            best = d;
            bc = gc;
          }
        }
      }
      return hash01(bc.x, bc.y, seed + 13u);
    }
    case 10: {
      let nz = n0 + 0.5 * n1;
      let z = p.x * 0.5 + a * 2.0 * nz;
      return 0.5 + 0.5 * sin(TAU * fract(z));
    }
    case 11: {
      let z = p.y + a * abs(fract(p.x) - 0.5) * 2.0;
      return select(0.0, 1.0, fract(z) < 0.5);
    }
    default: { return 0.0; }
  }
}

fn tex_color(ti: i32, uv: vec2<f32>) -> vec3<f32> {
  let o = u.texF + u32(ti) * TEX_F;
  let oi = u.texI + u32(ti) * TEX_I;
  let code = I[oi];
  let sc = uv * F[o + 6u];
  let c = F[o + 7u];
  let s = F[o + 8u];
  let p = vec2<f32>(c * sc.x - s * sc.y + F[o + 9u], s * sc.x + c * sc.y + F[o + 10u]);
  if (code == 12) {
    let w = I[oi + 2u];
    let h = I[oi + 3u];
    let x = min(i32(floor(fract(p.x) * f32(w))), w - 1);
    let y = min(i32(floor(fract(p.y) * f32(h))), h - 1);
    let word = IMG[u32(I[oi + 1u] + y * w + x)];
    return vec3<f32>(f32(word & 255u), f32((word >> 8u) & 255u), f32((word >> 16u) & 255u)) / 255.0;
  }
  let t = tex_pattern(code, p, F[o + 11u], F[o + 12u], u32(F[o + 13u]));
  let ca = gvec(o);
  let cb = gvec(o + 3u);
  return ca + (cb - ca) * t;
}

// Linear colour of scene s seen through image point (px, py) (pixel units from the top-left corner; a pixel's
// centre is x + 0.5).
fn shade(s: u32, px: f32, py: f32) -> vec3<f32> {
  let sx = (2.0 * px) / f32(u.width) - 1.0;
  let sy = 1.0 - (2.0 * py) / f32(u.height);
  let d = normalize(svec(s, 9u) + sx * svec(s, 3u) + sy * svec(s, 6u));
  let o = svec(s, 0u);
  let g0 = u32(sint(s, 0u));
  let g1 = g0 + u32(sint(s, 1u));
  let L = -svec(s, 12u);
  // One flat loop: ray 0 is the camera ray (nearest hit over every sub-primitive of every geom), ray 1 the
  // shadow ray from that hit towards the light (any hit ends it), cast only for a lit surface with shadows on.
  var best_t = NO_HIT;
  var best_n = vec3<f32>(0.0);
  var best_g = -1;
  var wn = vec3<f32>(0.0);
  var ndl = 0.0;
  var ray = 0;
  var ro = o;
  var rd = d;
  var g = g0;
  var k = 0u;
  var p = vec3<f32>(0.0);
  var q = vec3<f32>(0.0);
  loop {
    if (g >= g1) {
      if (ray == 1 || best_g < 0) { break; }
      // world normal = mat * local normal, facing the camera
      let bg = u32(best_g);
      let nl = best_n;
      wn = normalize(vec3<f32>(
        gf(bg, 3u) * nl.x + gf(bg, 4u) * nl.y + gf(bg, 5u) * nl.z,
        gf(bg, 6u) * nl.x + gf(bg, 7u) * nl.y + gf(bg, 8u) * nl.z,
        gf(bg, 9u) * nl.x + gf(bg, 10u) * nl.y + gf(bg, 11u) * nl.z));
      if (dot(wn, d) > 0.0) { wn = -wn; }
      ndl = max(0.0, dot(wn, L));
      if (ndl <= 0.0 || sint(s, 3u) == 0) { break; }
      ray = 1;
      ro = o + best_t * d + wn * 1e-3;
      rd = L;
      g = g0;
      k = 0u;
    }
    let gtype = gint(g, 0u);
    if (k == 0u) {
      p = to_local(g, ro, true);
      q = to_local(g, rd, false);
      // early out: the ray misses the geom's bounding sphere (or, for the camera ray, meets it only beyond the
      // nearest hit so far)
      let br = gf(g, 18u);
      let bb = dot(p, q);
      let cc = dot(p, p) - br * br;
      let disc = bb * bb - cc;
      if (br > 0.0 && cc > 0.0 && (bb > 0.0 || disc < 0.0 || (ray == 0 && -bb - sqrt(max(disc, 0.0)) > best_t))) {
        g++;
        continue;
      }
    }
    let h = sub_hit(gtype, k, gvec3(g, 12u), p, q);
    if (ray == 0) {
      if (h.x < best_t) {
        best_t = h.x;
        best_n = h.yzw;
        best_g = i32(g);
      }
    } else if (h.x < NO_HIT) {
      ndl = 0.0;
      break;
    }
    k++;
    if (k >= sub_count(gtype)) {
      k = 0u;
      g++;
    }
  }
  // texture: the background at the screen position, or the geom's texture at the local hit point (the two
  // local axes across the dominant axis of the local normal)
  let hh = f32(u.height);
  var ti = sint(s, 2u);
  var uv = vec2<f32>(px / hh, py / hh);
  var col = vec3<f32>(1.0);
  var light = 1.0;
  if (best_g >= 0) {
    let gb = u32(best_g);
    col = gvec3(gb, 15u);
    ti = gint(gb, 1u);
    let l = to_local(gb, o, true) + best_t * to_local(gb, d, false);
    let an = abs(best_n);
    uv = l.xy;
    if (an.x >= an.y && an.x >= an.z) { uv = l.yz; }
    else if (an.y >= an.z) { uv = l.xz; }
    light = sf(s, 15u) + sf(s, 16u) * ndl;
  }
  if (ti >= 0) { col = col * tex_color(ti, uv); }
  return col * light;
}

fn to_byte(v: f32) -> u32 {
  return u32(floor(clamp(v, 0.0, 1.0) * 255.0 + 0.5));
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let per = u.width * u.height;
  let total = u.n * per;
  let wgi = wid.x + wid.y * nwg.x;
  let pix = wgi * WG + li;
  if (SHARED) {
    // the workgroup's scene (width * height is a multiple of WG), its floats and ints, and its geoms'
    let sc = min((wgi * WG) / per, u.n - 1u);
    let g0 = u32(I[sc * SCENE_I]);
    let gn = u32(I[sc * SCENE_I + 1u]);
    sg0 = g0;
    for (var k = li; k < SCENE_F + gn * GEOM_F; k += WG) {
      if (k < SCENE_F) { sF[k] = F[sc * SCENE_F + k]; } else { sF[k] = F[u.geomF + g0 * GEOM_F + k - SCENE_F]; }
    }
    for (var k = li; k < SCENE_I + gn * GEOM_I; k += WG) {
      if (k < SCENE_I) { sI[k] = I[sc * SCENE_I + k]; } else { sI[k] = I[u.geomI + g0 * GEOM_I + k - SCENE_I]; }
    }
    workgroupBarrier();
  }
  var rgb = 0u;
  if (pix < total) {
    let s = pix / per;
    let r = pix - s * per;
    let y = r / u.width;
    let x = r - y * u.width;
    // 4 samples: the rotated grid (x, y) = (3, 1), (7, 3), (1, 5), (5, 7) / 8 of MSAA 4x, averaged in linear colour
    var ox = array<f32, 4>(0.375, 0.875, 0.125, 0.625);
    var oy = array<f32, 4>(0.125, 0.375, 0.625, 0.875);
    var col = vec3<f32>(0.0);
    if (u.samples == 4u) {
      for (var j = 0u; j < 4u; j++) {
        col += shade(s, f32(x) + ox[j], f32(y) + oy[j]);
      }
      col = col * 0.25;
    } else {
      col = shade(s, f32(x) + 0.5, f32(y) + 0.5);
    }
    rgb = to_byte(col.x) | (to_byte(col.y) << 8u) | (to_byte(col.z) << 16u);
  }
  tile[li] = rgb;
  workgroupBarrier();
  let nw = WG * 3u / 4u;
  let words = (total * 3u + 3u) / 4u;
  let w = wgi * nw + li;
  if (li < nw && w < words) {
    var word = 0u;
    for (var j = 0u; j < 4u; j++) {
      let byte = 4u * li + j;
      let px = tile[byte / 3u];
      word = word | (((px >> (8u * (byte % 3u))) & 255u) << (8u * j));
    }
    OUT[w] = word;
  }
}
