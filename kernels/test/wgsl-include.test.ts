import { describe, expect, it } from 'vitest';
import { resolveWgslIncludes, WGSL_LIB } from '../src/core/wgsl-include.js';

const lib = {
  one: 'fn one() -> f32 { return 1.0; }',
  typed: 'fn id(v: {{ELEM}}) -> {{ELEM}} { return v; }',
  two: '//#include one\nfn two() -> f32 { return one() + one(); }',
  loop: '//#include loop',
};

describe('resolveWgslIncludes (the shared-WGSL include step)', () => {
  it('replaces an include line by its snippet, with parameters, and leaves other text as it is', () => {
    const out = resolveWgslIncludes('// a shader\n  //#include typed ELEM=vec2<f32>\nfn main() {}\n', lib);
    expect(out).toBe('// a shader\n// ---- typed ELEM=vec2<f32> (wgsl-lib/typed.wgsl)\nfn id(v: vec2<f32>) -> vec2<f32> { return v; }\n// ---- end typed\nfn main() {}\n');
    expect(resolveWgslIncludes('fn main() {} // no includes', lib)).toBe('fn main() {} // no includes');
  });

  it('emits a snippet once per shader, nested includes too', () => {
    const out = resolveWgslIncludes('//#include one\n//#include two\n//#include one\n', lib);
    expect(out.match(/fn one\(\)/g)).toHaveLength(1);
    expect(out.match(/fn two\(\)/g)).toHaveLength(1);
    expect(out.indexOf('fn one()')).toBeLessThan(out.indexOf('fn two()'));
  });

  it('refuses what would not compile, naming the snippet', () => {
    expect(() => resolveWgslIncludes('//#include nope', lib)).toThrow(/unknown snippet 'nope' \(known: one, typed, two, loop\)/);
    expect(() => resolveWgslIncludes('//#include typed', lib)).toThrow(/'typed': parameter ELEM is not given/);
    expect(() => resolveWgslIncludes('//#include typed ELEM=f32 N=4', lib)).toThrow(/'typed': it has no parameter N/);
    expect(() => resolveWgslIncludes('//#include typed ELEM', lib)).toThrow(/parameter 'ELEM' is not KEY=VALUE/);
    expect(() => resolveWgslIncludes('//#include typed ELEM=f32\n//#include typed ELEM=u32', lib)).toThrow(/included twice with different parameters/);
    expect(() => resolveWgslIncludes('//#include loop', lib)).toThrow(/'loop' includes itself \(loop -> loop\)/);
    expect(() => resolveWgslIncludes('//#include', lib)).toThrow(/without a snippet name/);
  });

  it("the library's snippets: sigmoid (no parameters), row-sum (ELEM), ln-gru (which includes sigmoid and layer-norm), conv_up's", () => {
    expect(Object.keys(WGSL_LIB).sort()).toEqual(['conv-up-io', 'conv-up-phase', 'layer-norm', 'ln-gru', 'row-sum', 'sigmoid']);
    const io = resolveWgslIncludes('//#include conv-up-io ST=vec4<f32> YT=f32');
    expect(io).toMatch(/var<storage, read> S: array<vec4<f32>>;/);
    expect(io).toMatch(/var<storage, read_write> Y: array<f32>;/);
    expect(resolveWgslIncludes('//#include conv-up-phase C=16 SV=4')).toMatch(/let cb0 = \(wid.x \/ nPh\) \* 16u;[\s\S]*let CSv = u.CS \/ 4u;/);
    const gru = resolveWgslIncludes('//#include sigmoid\n//#include ln-gru');
    for (const f of ['lnGruGates', 'lnGruState', 'lnGruGrads', 'layerNormGrad', 'sigm']) expect(gru.match(new RegExp(`fn ${f}\\(`, 'g'))).toHaveLength(1);
    expect(resolveWgslIncludes('//#include sigmoid')).toMatch(/fn sigm\(x: f32\) -> f32/);
    const rs = resolveWgslIncludes('//#include row-sum ELEM=vec2<f32>');
    expect(rs).toMatch(/var<workgroup> red: array<vec2<f32>, WG>;/);
    expect(rs).toMatch(/fn rowSum\(lid: u32, lane: u32, v: vec2<f32>\) -> vec2<f32>/);
    expect(rs).not.toMatch(/\{\{/);
  });
});
