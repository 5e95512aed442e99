// IEEE special values shared by the kernels (prepended by their .ts files; WGSL has no include step).
// WGSL lets an implementation assume floats are never NaN or infinite, so `x != x` and the NaN behaviour of
// max, min, clamp, pow and comparisons are not guaranteed; the tests read the bits instead.
// The constants live in private variables: a NaN or infinity from a WGSL const-expression is a compile error.
var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> INF_BITS: u32 = 0x7f800000u;

// exponent all ones, mantissa not 0
fn isNanF(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

fn isInfF(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u;
}

// max / min that return NaN when either operand is NaN (a + b is then NaN), as Math.max / Math.min do
fn maxN(a: f32, b: f32) -> f32 {
  return select(max(a, b), a + b, isNanF(a) || isNanF(b));
}

fn minN(a: f32, b: f32) -> f32 {
  return select(min(a, b), a + b, isNanF(a) || isNanF(b));
}

// a^b with Math.pow's semantics where WGSL's pow (exp2(b * log2(a)), a > 0 only) is undefined: x^0 = 1 (NaN x
// included); NaN otherwise propagates; a negative base with an integer exponent gives the signed power, with a
// fractional one NaN; zeros and infinities of either operand as Math.pow (1^inf = NaN there).
fn powf(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (isNanF(a) || isNanF(b)) { return a + b; }
  let inf = bitcast<f32>(INF_BITS);
  let ia = abs(a);
  if (isInfF(b)) {
    if (ia == 1.0) { return bitcast<f32>(NAN_BITS); }
    return select(0.0, inf, (ia > 1.0) == (b > 0.0));
  }
  let isInt = b == round(b);
  let neg = (bitcast<u32>(a) & 0x80000000u) != 0u;
  if (neg && !isInt && ia != 0.0 && !isInfF(a)) { return bitcast<f32>(NAN_BITS); }
  var m: f32;
  if (isInfF(a)) {
    m = select(0.0, inf, b > 0.0);
  } else if (ia == 0.0) {
    m = select(inf, 0.0, b > 0.0);
  } else {
    m = pow(ia, b);
  }
  return select(m, -m, neg && isInt && abs(b) % 2.0 == 1.0);
}

// clamp that keeps a NaN x (WGSL's clamp may return a bound), as min(max(x, lo), hi) in JavaScript does
fn clampN(x: f32, lo: f32, hi: f32) -> f32 {
  return minN(maxN(x, lo), hi);
}

// tanh clamped at +-15 (where it is +-1 in f32; the clamp keeps exp-based tanh from overflowing), NaN kept
fn tanhN(x: f32) -> f32 {
  return select(tanh(clamp(x, -15.0, 15.0)), x, isNanF(x));
}
