#!/usr/bin/env node
// Which held-out visual domains an evaluation drew, episode by episode, beside the returns of an eval JSON:
// `node packages/distil/probes/heldout-by-family.mjs EVAL.json [EVAL2.json ...]`.
// eval's domain for episode i is sampleVisualDomain(createRng(domainSeed(seed, i, i, 0)), split), drawn once at
// episode start (VisualDR in packages/agent/src/visual.ts). Eval JSONs written since 2026-12-03 hold it as `backgrounds`.
import { readFileSync } from 'node:fs';
import { createRng, sampleVisualDomain } from '@twist/envs';
import { domainSeed } from '@twist/agent/node';

const rows = [];
for (const f of process.argv.slice(2)) {
  const e = JSON.parse(readFileSync(f, 'utf8'));
  if (e.domain !== 'heldout' && e.domain !== 'train') throw new Error(`${f}: domain ${e.domain}, want heldout or train`);
  const seed = e.seeds[0];
  e.returns.forEach((r, i) => {
    const d = sampleVisualDomain(createRng(domainSeed(seed, i, i, 0)), e.domain);
    const bg = d.background;
    const lum = (c) => 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
    rows.push({ file: f, domain: e.domain, i, ret: r, zero: e.references?.zero.returns[i], family: bg.family, scale: bg.scale, a: bg.params[3], contrast: Math.abs(lum(bg.colorA) - lum(bg.colorB)), floor: lum(d.floor.colorA) });
  });
}
const by = {};
for (const r of rows) (by[`${r.domain} ${r.family}`] ??= []).push(r);
console.log('| split | family | episodes | mean return | min | returns |\n|---|---|---|---|---|---|');
for (const [k, rs] of Object.entries(by).sort()) {
  const m = rs.reduce((s, r) => s + r.ret, 0) / rs.length;
  console.log(`| ${k.replace(' ', ' | ')} | ${rs.length} | ${m.toFixed(1)} | ${Math.min(...rs.map((r) => r.ret)).toFixed(0)} | ${rs.map((r) => r.ret.toFixed(0)).join(', ')} |`);
}
// correlation of return with the background's scale, luminance contrast and the floor's luminance
const corr = (xs, ys) => {
  const mx = xs.reduce((a, b) => a + b) / xs.length, my = ys.reduce((a, b) => a + b) / ys.length;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < xs.length; i++) { sxy += (xs[i] - mx) * (ys[i] - my); sxx += (xs[i] - mx) ** 2; syy += (ys[i] - my) ** 2; }
  return sxy / Math.sqrt(sxx * syy);
};
for (const split of ['heldout', 'train']) {
  const rs = rows.filter((r) => r.domain === split);
  if (rs.length < 3) continue;
  const ys = rs.map((r) => r.ret);
  console.log(`\n${split}: correlation of return with background scale ${corr(rs.map((r) => r.scale), ys).toFixed(2)}, luminance contrast ${corr(rs.map((r) => r.contrast), ys).toFixed(2)}, floor luminance ${corr(rs.map((r) => r.floor), ys).toFixed(2)} (n = ${rs.length})`);
}
