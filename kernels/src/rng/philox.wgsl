// Philox4x32-10 (Salmon et al., SC 2011), spliced into shaders at their {{PHILOX}} marker.
// Only u32 arithmetic: the high word of the 32x32 -> 64 product is built from 16-bit halves (mulhi32), exactly as
// the TypeScript reference in philox.ts does, so GPU and CPU give bit-identical words.

fn mulhi32(a: u32, b: u32) -> u32 {
  let al = a & 0xffffu;
  let ah = a >> 16u;
  let bl = b & 0xffffu;
  let bh = b >> 16u;
  let ll = al * bl;
  let lh = al * bh;
  let hl = ah * bl;
  let hh = ah * bh;
  let mid = (ll >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  return hh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
}

fn philox4x32(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = counter;
  var k = key;
  for (var r = 0u; r < 10u; r++) {
    let lo0 = 0xd2511f53u * c.x;
    let hi0 = mulhi32(0xd2511f53u, c.x);
    let lo1 = 0xcd9e8d57u * c.z;
    let hi1 = mulhi32(0xcd9e8d57u, c.z);
    c = vec4<u32>(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    k = k + vec2<u32>(0x9e3779b9u, 0xbb67ae85u);
  }
  return c;
}
