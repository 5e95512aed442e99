#!/usr/bin/env node
/**
 * Issue 13's reliability sweep: bad or borderline inputs, tried as a new user would, across the six classes
 * (kernels, autograd, rssm, checkpoints, envs/agent, CLI). Each case says what it expects (an error naming the
 * field, or a result) and is classified:
 *   clear     an error whose message names the thing (matches the case's `names`)
 *   unclear   an error, but the message does not name it (or is a raw TypeError from inside)
 *   ok        accepted, and the result is the documented one
 *   SILENT    accepted although it should not be, or a wrong result
 *   CRASH     the process died, or it hung (CLI cases run in a child process with a timeout)
 * Runs on the packages' dist builds (node scripts/bootstrap.mjs --build first): node packages/cli/scripts/reliability-sweep.mjs. Prints one line per case and a
 * summary; `--json FILE` also writes the rows. docs/reliability-sweep.md holds the results.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as K from '@twist/kernels';
import * as A from '@twist/autograd';
import * as AN from '@twist/autograd/node';
import * as R from '@twist/rssm';
import * as RN from '@twist/rssm/node';
import * as E from '@twist/envs';
import * as G from '@twist/agent';
import * as GN from '@twist/agent/node';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
await E.loadPhysics();
const cpu = new K.CpuDevice();
const gpu = await K.createGpuDevice().catch(() => null);
const tmp = mkdtempSync(join(tmpdir(), 'twist-sweep-'));
const t = (d, shape, dt = 'f32') => K.tensor(cpu, d, shape, dt);
const arr = async (x) => Array.from(await (x.value ?? x).toArray());
const show = (v) => JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x));

/** @type {{ id: string, cls: string, what: string, expect: 'error' | 'ok', names?: RegExp, run: () => unknown, check?: (r: unknown) => boolean | Promise<boolean> }[]} */
const cases = [];
const err = (cls, what, names, run) => cases.push({ cls, what, expect: 'error', names, run });
const ok = (cls, what, run, check) => cases.push({ cls, what, expect: 'ok', run, check });

// ---- kernels ---------------------------------------------------------------------------------------------------
err('kernels', 'tensor(cpu, [1, 2], [3]): data and shape disagree', /shape \[3\] needs 3 elements, data has 2/, () => t([1, 2], [3]));
err('kernels', "tensor(cpu, 'abc')", /tensor: .*(array|data)/i, () => K.tensor(cpu, 'abc'));
err('kernels', 'tensor(cpu, null)', /tensor: data must be .*got null/, () => K.tensor(cpu, null));
err('kernels', "tensor(cpu, [1], [1], 'f16')", /f16/, () => t([1], [1], 'f16'));
err('kernels', 'tensor(cpu, Float64Array)', /Float64Array/, () => K.tensor(cpu, new Float64Array(2)));
err('kernels', 'tensor(cpu, Uint16Array, u8)', /Uint16Array/, () => K.tensor(cpu, new Uint16Array(2), [2], 'u8'));
err('kernels', 'tensor(cpu, [1, 2], [2.5])', /non-negative integers|integer/, () => t([1, 2], [2.5]));
ok('kernels', 'tensor(cpu, [1, NaN]) (NaN data is data)', () => arr(t([1, NaN])), (r) => Number.isNaN(r[1]));
err('kernels', 'matmul [2,3] x [4,5]', /matmul: .*\[2,3\].*\[4,5\]/, () => K.matmul(t(new Float32Array(6), [2, 3]), t(new Float32Array(20), [4, 5])));
err('kernels', 'matmul of i32', /matmul: .*i32/, () => K.matmul(t(new Int32Array(4), [2, 2], 'i32'), t(new Float32Array(4), [2, 2])));
if (gpu) err('kernels', 'add of a CPU and a WebGPU tensor', /device/, () => K.add(t([1]), K.tensor(gpu, [1])));
err('kernels', 'sum over axis 5 of a [2,2]', /axis|axes/, () => K.sum(t(new Float32Array(4), [2, 2]), 5));
err('kernels', 'sum over axis 1.5', /axis|axes/, () => K.sum(t(new Float32Array(4), [2, 2]), 1.5));
err('kernels', 'reshape [2,2] to [3]', /reshape/, () => t(new Float32Array(4), [2, 2]).reshape([3]));
err('kernels', 'reshape with two -1', /at most one dim may be -1/, () => t(new Float32Array(4), [2, 2]).reshape([-1, -1]));
err('kernels', 'slice past the end', /slice: /, () => K.slice(t(new Float32Array(4), [4]), [2], [3]));
err('kernels', 'concat of [2,2] and [3,3] on axis 0', /concat: /, () => K.concat([t(new Float32Array(4), [2, 2]), t(new Float32Array(9), [3, 3])], 0));
err('kernels', 'concat([])', /concat: /, () => K.concat([], 0));
ok('kernels', 'gather with index 7 of 4 rows gives NaN (documented: the device cannot throw)', () => arr(K.gather(t(new Float32Array(4), [4]), t(new Int32Array([7]), [1], 'i32'))), (v) => Number.isNaN(v[0]));
err('kernels', 'gather with f32 indices', /gather: .*indices.*i32/, () => K.gather(t(new Float32Array(4), [4]), t([1], [1])));
err('kernels', 'oneHot with depth -1', /oneHot: .*depth/, () => K.oneHot(t(new Int32Array([0]), [1], 'i32'), -1));
err('kernels', "cast to 'f64'", /cast: dtype must be one of/, () => K.cast(t([1]), 'f64'));
err('kernels', 'clamp(x, 2, 1)', /clamp: lo must be <= hi/, () => K.clamp(t([1]), 2, 1));
err('kernels', 'layerNorm with eps -1', /layerNorm: .*eps/, () => K.layerNorm(t(new Float32Array(4), [2, 2]), null, null, -1));
err('kernels', 'conv2d of a rank-3 input', /conv2d: .*rank|NHWC|\[N, H, W, C\]/i, () => K.conv2d(t(new Float32Array(8), [2, 2, 2]), t(new Float32Array(4), [1, 1, 2, 2])));
err('kernels', "randomUniform with key { seed: 'a' }", /key.seed must be a safe integer, got "a"/, () => K.randomUniform(cpu, [2], { seed: 'a', offset: 0 }));
err('kernels', 'categoricalSample with unimix 1', /unimix must be a number in \[0, 1\)/, () => K.categoricalSample(t(new Float32Array(4), [1, 4]), { key: { seed: 1, offset: 0 }, unimix: 1 }));
err('kernels', 'truncNormalSample with lo > hi', /truncNormalSample: .*lo/, () => K.truncNormalSample(t([0.5]), t([0]), t([1]), { lo: 1, hi: -1 }));
err('kernels', 'unary on a disposed tensor', /used after dispose/, () => {
  const x = t([1]);
  x.dispose();
  return K.exp(x);
});
err('kernels', 'full(cpu, [-1], 0)', /non-negative integers/, () => K.full(cpu, [-1], 0));
ok('kernels', 'relu(NaN) on the CPU is NaN (the NaN rule)', () => arr(K.relu(t([NaN]))), (r) => Number.isNaN(r[0]));
if (gpu) {
  const both = async (f, data) => [await arr(f(K.tensor(cpu, data))), await arr(f(K.tensor(gpu, data)))];
  const sameNaN = ([c, g]) => c.every((v, i) => (Number.isNaN(v) ? Number.isNaN(g[i]) : v === g[i] || Math.abs(v - g[i]) <= 1e-5 * (1 + Math.abs(v))));
  for (const [name, f] of [
    ['relu', K.relu],
    ['tanh', K.tanh],
    ['clamp(-1, 1)', (x) => K.clamp(x, -1, 1)],
    ['max over the row', (x) => K.max(x)],
    ['min over the row', (x) => K.min(x)],
    ['maximum(x, 0)', (x) => K.maximum(x, K.zeros(x.device, x.shape))],
    ['sign', K.sign],
    ['elu', (x) => K.elu(x)],
    ['pow(x, 1.5) at -inf', (x) => K.pow(x, 1.5)],
    ['cast to i32', (x) => K.cast(x, 'i32')],
    ['categoricalSample of a NaN row', (x) => K.categoricalSample(x.reshape([1, 4]), { key: { seed: 1, offset: 0 } }).sample],
    ['categoricalEntropy of a NaN row', (x) => K.categoricalEntropy(x.reshape([1, 4]))],
    ['truncNormalSample with a NaN mean', (x) => K.truncNormalSample(K.full(x.device, [4], 0.3), x, K.full(x.device, [4], 0.5))],
    ['matmulAct relu', (x) => K.matmulAct(x.reshape([1, 4]), K.full(x.device, [4, 2], 1), { act: 'relu' }).y],
  ]) {
    ok('kernels', `${name} with NaN/inf input: WebGPU == CPU`, () => both(f, [NaN, Infinity, -Infinity, 0.5]), sameNaN);
  }
}

ok('kernels', 'gather with index -1 gives NaN', () => arr(K.gather(t([1, 2, 3]), t(new Int32Array([-1]), [1], 'i32'))), (v) => Number.isNaN(v[0]));
ok('kernels', 'oneHot with index 5 of depth 3 gives a NaN row', () => arr(K.oneHot(t(new Int32Array([5]), [1], 'i32'), 3)), (v) => v.every(Number.isNaN));
if (gpu) {
  ok('kernels', 'gather out of range: WebGPU == CPU (NaN)', async () => [
    await arr(K.gather(K.tensor(cpu, [1, 2]), K.tensor(cpu, new Int32Array([5, 0])))),
    await arr(K.gather(K.tensor(gpu, [1, 2]), K.tensor(gpu, new Int32Array([5, 0])))),
  ], ([c, g]) => Number.isNaN(c[0]) && Number.isNaN(g[0]) && c[1] === g[1]);
}
ok('kernels', 'transpose of a rank-3 tensor swaps the last two axes (documented)', () => K.transpose(t(new Float32Array(12), [2, 3, 2])).shape, (s) => s.join() === '2,2,3');
err('kernels', 'permute with a repeated axis', /permute/, () => K.permute(t(new Float32Array(4), [2, 2]), [0, 0]));
err('kernels', 'broadcastTo an incompatible shape', /broadcastTo/, () => K.broadcastTo(t(new Float32Array(3), [3]), [2, 4]));
err('kernels', 'softmax of an i32 tensor', /softmax: .*i32/, () => K.softmax(t(new Int32Array(4), [4], 'i32')));
err('kernels', 'matmulAct with act gelu', /matmulAct: .*act/, () => K.matmulAct(t(new Float32Array(4), [2, 2]), t(new Float32Array(4), [2, 2]), { act: 'gelu' }));
err('kernels', 'sliceAdd out of bounds', /sliceAdd/, () => K.sliceAdd(t(new Float32Array(2), [2]), t(new Float32Array(3), [3]), [2]));

// ---- autograd ---------------------------------------------------------------------------------------------------
const lin = () => new A.Linear({ device: cpu, seed: 1 }, 2, 2);
err('autograd', 'grad of a non-scalar loss', /grad: .*scalar|loss/, () => A.grad(A.constant(t([1, 2])), lin().parameters()));
err('autograd', 'mse of [4,1] against [4]', /mse: .*shape/, () => A.mse(A.constant(t(new Float32Array(4), [4, 1])), A.constant(t(new Float32Array(4), [4]))));
err('autograd', 'Linear with inFeatures 0', /Linear: inFeatures/, () => new A.Linear({ device: cpu, seed: 1 }, 0, 2));
err('autograd', 'Linear with outFeatures 2.5', /Linear: outFeatures/, () => new A.Linear({ device: cpu, seed: 1 }, 2, 2.5));
err('autograd', 'Adam with lr NaN', /Adam: lr must be .*got NaN/, () => new A.Adam(lin().parameters(), { lr: NaN }));
err('autograd', 'Adam with lr Infinity', /Adam: lr must be a finite number > 0, got Infinity/, () => new A.Adam(lin().parameters(), { lr: Infinity }));
err('autograd', 'Adam with beta1 1', /Adam: beta1/, () => new A.Adam(lin().parameters(), { lr: 1e-3, beta1: 1 }));
err('autograd', 'Adam with eps 0', /Adam: eps/, () => new A.Adam(lin().parameters(), { lr: 1e-3, eps: 0 }));
err('autograd', "Adam with a typo'd key learningRate", /Adam: unknown option 'learningRate'/, () => new A.Adam(lin().parameters(), { lr: 1e-3, learningRate: 1 }));
err('autograd', 'Adam.apply with one gradient for two parameters', /Adam.apply: expected 2 gradients, got 1/, () => {
  const l = lin();
  return new A.Adam(l.parameters(), { lr: 1e-3 }).apply([l.parameters()[0].value]);
});
err('autograd', 'Adam over an empty parameter list', /params must be a non-empty list/, () => new A.Adam([], { lr: 1e-3 }));
ok('autograd', 'Adam with a NaN gradient skips the step (params unchanged, counted)', async () => {
  const l = lin();
  const opt = new A.Adam(l.parameters(), { lr: 1e-3 });
  const before = await arr(l.parameters()[0].value);
  opt.apply(l.parameters().map((p) => K.full(cpu, p.shape, NaN)));
  return [before, await arr(l.parameters()[0].value), await arr(opt.skipped())];
}, ([b, a, s]) => b.every((v, i) => v === a[i]) && s[0] === 1);
err('autograd', 'weightedSum of nothing', /weightedSum/, () => A.weightedSum([]));
err('autograd', 'SkipWatch with limit 0', /SkipWatch: limit/, () => new A.SkipWatch({}, 0));

// ---- rssm --------------------------------------------------------------------------------------------------------
const cfg = (o) => R.makeConfig('debug', { stateSize: 3, actionSize: 1, ...o });
err('rssm', 'rssm.deter 1.5', /'rssm.deter' must be a positive integer, got 1.5/, () => cfg({ rssm: { deter: 1.5 } }));
err('rssm', 'kl.balance 2', /'kl.balance' must be in \[0, 1\], got 2/, () => cfg({ kl: { balance: 2 } }));
err('rssm', 'kl.free NaN (was printed as null)', /'kl.free' must be .*, got NaN/, () => cfg({ kl: { free: NaN } }));
err('rssm', 'kl.scale -1', /'kl.scale' must be .*>= 0, got -1/, () => cfg({ kl: { scale: -1 } }));
err('rssm', 'opt.lr Infinity', /'opt.lr' must be a finite number > 0, got Infinity/, () => cfg({ opt: { lr: Infinity } }));
err('rssm', "continueHead 'no'", /'continueHead' must be true or false, got "no"/, () => cfg({ continueHead: 'no' }));
err('rssm', "seed 'x'", /'seed' must be an integer, got "x"/, () => cfg({ seed: 'x' }));
err('rssm', "modality 'video'", /'modality' must be/, () => cfg({ modality: 'video' }));
err('rssm', 'imageSize 48', /'imageSize' must be 32 or 64/, () => cfg({ modality: 'image', imageSize: 48 }));
err('rssm', "unknown key 'klScale'", /unknown key 'klScale'/, () => cfg({ klScale: 1 }));
err('rssm', "unknown preset 'huge'", /unknown preset 'huge'/, () => R.makeConfig('huge'));
const wm = new R.WorldModel(cpu, cfg({ seed: 3 }));
const trainer = new R.WorldModelTrainer(wm);
const batch = (o = {}) => ({
  obs: t(new Float32Array(2 * 4 * 3), [2, 4, 3]),
  actions: t(new Float32Array(2 * 4), [2, 4, 1]),
  rewards: t(new Float32Array(8), [2, 4]),
  isFirst: t(Float32Array.from({ length: 8 }, (_, i) => (i % 4 === 0 ? 1 : 0)), [2, 4]),
  ...o,
});
err('rssm', 'WorldModel on device null', /device/, () => new R.WorldModel(null, cfg({})));
err('rssm', 'trainStep(null)', /batch must be an object/, () => trainer.trainStep(null));
err('rssm', 'trainStep without rewards', /batch.rewards is missing/, () => trainer.trainStep(batch({ rewards: undefined })));
err('rssm', 'trainStep with obs of rank 2', /batch.obs must have/, () => trainer.trainStep(batch({ obs: t(new Float32Array(6), [2, 3]) })));
err('rssm', 'trainStep with u8 obs for a state model', /batch.obs must have dtype f32, got u8/, () => trainer.trainStep(batch({ obs: t(new Uint8Array(24), [2, 4, 3], 'u8') })));
err('rssm', 'trainStep with actions [2,3,1] (B, T from obs)', /batch.actions must have shape \[2,4,1\]/, () => trainer.trainStep(batch({ actions: t(new Float32Array(6), [2, 3, 1]) })));
err('rssm', 'trainStep with an empty batch', /at least one sequence/, () => trainer.trainStep(batch({ obs: t(new Float32Array(0), [0, 4, 3]) })));
err('rssm', 'isFirstHost with a 0.5', /batch.isFirstHost\[1\] must be 0 or 1/, () => trainer.trainStep({ ...batch(), isFirstHost: [1, 0.5, 0, 0, 1, 0, 0, 0] }));
err('rssm', 'isFirstHost of the wrong length', /batch.isFirstHost must have .*8 entries/, () => trainer.trainStep({ ...batch(), isFirstHost: [1, 0] }));
err('rssm', "isFirstHost as a string '10001000'", /isFirstHost/, () => trainer.trainStep({ ...batch(), isFirstHost: '10001000' }));
err('rssm', 'imagine with horizon 0', /horizon must be a positive integer, got 0/, () => wm.rssm.imagine(wm.rssm.initial(cpu, 2), () => A.constant(t(new Float32Array(2), [2, 1])), 0));
err('rssm', 'imagine with horizon 2.5', /horizon must be a positive integer, got 2.5/, () => wm.rssm.imagine(wm.rssm.initial(cpu, 2), () => A.constant(t(new Float32Array(2), [2, 1])), 2.5));
err('rssm', "WorldModelTrainer with opt { learningRate }", /unknown opt key 'learningRate'/, () => new R.WorldModelTrainer(wm, { learningRate: 1 }));
err('rssm', 'WorldModelTrainer with opt.lr -1 (at construction)', /WorldModelTrainer: opt.lr must be .*got -1/, () => new R.WorldModelTrainer(wm, { lr: -1 }));
ok('rssm', 'trainStep with a NaN reward: the step is skipped, training goes on', async () => {
  const w2 = new R.WorldModel(cpu, cfg({ seed: 4 }));
  const tr = new R.WorldModelTrainer(w2);
  const p0 = await arr(w2.parameters()[0].value);
  const r = new Float32Array(8);
  r[3] = NaN;
  const { metrics } = await tr.trainStep(batch({ rewards: t(r, [2, 4]) }));
  const m = await R.readMetrics(metrics);
  return [Number.isNaN(m.loss), p0.every((v, i) => v === 0 || true), await arr(tr.opt.skipped()), (await arr(w2.parameters()[0].value)).every((v, i) => v === p0[i])];
}, ([nanLoss, , s, same]) => nanLoss && s[0] === 1 && same);

// ---- checkpoints ---------------------------------------------------------------------------------------------------
const ckdir = (n) => {
  const d = join(tmp, n);
  mkdirSync(d, { recursive: true });
  return d;
};
err('checkpoints', 'loadWorldModel of a missing directory', /no checkpoint|does not exist|ENOENT.*|not a checkpoint/i, () => RN.loadWorldModel(cpu, join(tmp, 'nope')));
err('checkpoints', 'saveWorldModel with a NaN weight', /refusing to save it/, async () => {
  const w = new R.WorldModel(cpu, cfg({ seed: 5 }));
  const p = w.parameters()[0];
  const d = Float32Array.from(await p.value.toArray());
  d[0] = NaN;
  p.value.write(d);
  return RN.saveWorldModel(w, ckdir('nan'));
});
const good = ckdir('good');
await RN.saveWorldModel(new R.WorldModel(cpu, cfg({ seed: 6 })), good);
const manifest = join(good, 'checkpoint.json');
const manifestText = readFileSync(manifest, 'utf8');
err('checkpoints', 'checkpoint.json truncated', /checkpoint\.json/, () => {
  writeFileSync(manifest, manifestText.slice(0, 40));
  try {
    return RN.loadWorldModel(cpu, good);
  } finally {
    writeFileSync(manifest, manifestText);
  }
});
err('checkpoints', 'weights file missing', /safetensors/, () => {
  const f = readdirSync(good).find((x) => x.endsWith('.safetensors'));
  const bytes = readFileSync(join(good, f));
  rmSync(join(good, f));
  try {
    return RN.loadWorldModel(cpu, good);
  } finally {
    writeFileSync(join(good, f), bytes);
  }
});
err('checkpoints', 'a flipped data byte', /checksum|CRC-32/, () => {
  const f = join(good, readdirSync(good).find((x) => x.endsWith('.safetensors')));
  const bytes = readFileSync(f);
  const bad = Buffer.from(bytes);
  bad[bad.length - 3] ^= 0x40;
  writeFileSync(f, bad);
  try {
    return RN.loadWorldModel(cpu, good);
  } finally {
    writeFileSync(f, bytes);
  }
});
err('checkpoints', 'loading a checkpoint into a model of other sizes', /does not match the model/, () => {
  const w = new R.WorldModel(cpu, cfg({ seed: 6, rssm: { deter: 48 } }));
  return AN.loadCheckpoint(good, { modules: { model: w } });
});
err('checkpoints', 'saveWorldModel into a path that is a file', /saveCheckpoint: .* exists and is not a directory/, () => {
  const f = join(tmp, 'afile');
  writeFileSync(f, 'x');
  return RN.saveWorldModel(new R.WorldModel(cpu, cfg({ seed: 7 })), f);
});
ok('checkpoints', 'save, load: the weights come back bit for bit', async () => {
  const w = new R.WorldModel(cpu, cfg({ seed: 8 }));
  const d = ckdir('rt');
  await RN.saveWorldModel(w, d);
  const { model } = RN.loadWorldModel(cpu, d);
  return [await arr(w.parameters()[3].value), await arr(model.parameters()[3].value)];
}, ([a, b]) => a.every((v, i) => Object.is(v, b[i])));
err('checkpoints', 'agent run dir without run.json (eval)', /not a run directory/, () => GN.readRunConfig(join(tmp, 'nope')));

// ---- envs and agent --------------------------------------------------------------------------------------------------
err('envs', "makeEnv('nope')", /unknown task 'nope'/, () => E.makeEnvSync('nope'));
err('envs', 'makeEnv with an unknown option', /unknown option 'episodeLen'/, () => E.makeEnvSync('cartpole-balance', { episodeLen: 10 }));
err('envs', 'makeEnv with actionRepeat 0', /actionRepeat must be a positive integer/, () => E.makeEnvSync('cartpole-balance', { actionRepeat: 0 }));
const env = E.makeEnvSync('cartpole-balance');
err('envs', 'step before reset', /call reset\(seed\) before step\(\)/, () => E.makeEnvSync('cartpole-balance').step([0]));
err('envs', "reset('x')", /seed must be an integer/, () => env.reset('x'));
env.reset(1);
err('envs', 'step with 2 actions for 1 actuator', /action must have length 1/, () => env.step([0, 0]));
err('envs', 'step with a NaN action', /action/, () => env.step([NaN]));
err('envs', "step with a string action", /action/, () => env.step(['a']));
ok('envs', 'step with an action of 5 (outside [-1, 1]): clipped as dm_control does', () => env.step([5]), (o) => Number.isFinite(o.reward));
err('envs', 'physicsDR with a bad friction interval', /physicsDR|friction/, () => E.makeEnvSync('cartpole-balance', { physicsDR: { friction: [2, 1] } }));
err('agent', 'Replay with capacity 0', /capacity/, () => new GN.Replay({ stateSize: 2, actionSize: 1, capacity: 0, seed: 1 }));
const replay = new GN.Replay({ stateSize: 2, actionSize: 1, capacity: 100, seed: 1 });
const step = (o) => ({ state: new Float32Array(2), action: new Float32Array(1), reward: 0, isFirst: true, isLast: false, isTerminal: false, ...o });
err('agent', 'Replay.add with a NaN reward', /step.reward must be a finite number, got NaN/, () => replay.add(0, step({ reward: NaN })));
err('agent', 'Replay.add with isFirst 1 (a number)', /step.isFirst must be a boolean, got 1/, () => replay.add(0, step({ isFirst: 1 })));
err('agent', 'Replay.add with a NaN state', /state/, () => replay.add(0, step({ state: Float32Array.of(NaN, 0) })));
err('agent', 'Replay.sample from an empty replay', /sample|episode|no /i, () => replay.sample(cpu, 2, 4));
err('agent', "makeRunConfig('nope')", /unknown method 'nope'/, () => G.makeRunConfig('nope', { name: 'cartpole-balance', stateSize: 5, actionSize: 1 }, 'debug', 0, 100));
err('agent', 'behaviour.discount 0', /'behaviour.discount' must be in \(0, 1\], got 0/, () => G.makeRunConfig('oracle', { name: 'cartpole-balance', stateSize: 5, actionSize: 1 }, 'debug', 0, 100, { agent: { behaviour: { discount: 0 } } }));
err('agent', 'behaviour.actorOpt.lr Infinity', /'behaviour.actorOpt.lr' must be a finite number > 0, got Infinity/, () => G.makeRunConfig('oracle', { name: 'cartpole-balance', stateSize: 5, actionSize: 1 }, 'debug', 0, 100, { agent: { behaviour: { actorOpt: { lr: Infinity } } } }));
err('agent', 'behaviour.horizon 0', /'behaviour.horizon' must be a positive integer, got 0/, () => G.makeRunConfig('oracle', { name: 'cartpole-balance', stateSize: 5, actionSize: 1 }, 'debug', 0, 100, { agent: { behaviour: { horizon: 0 } } }));
err('agent', 'loop.length 1', /'loop.length' must be >= 2/, () => G.makeRunConfig('oracle', { name: 'cartpole-balance', stateSize: 5, actionSize: 1 }, 'debug', 0, 100, { agent: { loop: { length: 1 } } }));
const runCfg = G.makeRunConfig('oracle', { name: 'cartpole-balance', stateSize: 5, actionSize: 1 }, 'debug', 0, 100, {
  world: { rssm: { deter: 16, hidden: 16, stoch: 4, classes: 4 }, mlpLayers: [16], rewardLayers: [16] },
  agent: { behaviour: { horizon: 3, actorLayers: [16], criticLayers: [16] } },
});
const agent = new G.DreamerAgent(cpu, runCfg.world, runCfg.agent);
const obs2 = t(new Float32Array(10), [2, 5]);
err('agent', 'DreamerAgent.act with isFirst [0.5, 1]', /DreamerAgent.act: isFirst\[0\] must be 0 or 1/, () => agent.act(obs2, [0.5, 1], 'mode'));
err('agent', 'DreamerAgent.act with isFirst of the wrong length', /DreamerAgent.act: isFirst must have .*2/, () => agent.act(obs2, [1], 'mode'));
err('agent', 'DreamerAgent.act with isFirst [true, false]', /isFirst\[0\] must be 0 or 1/, () => agent.act(obs2, [true, false], 'mode'));
ok('agent', 'DreamerAgent.act with a NaN observation gives NaN actions (not a silent finite action)', async () => agent.act(t(new Float32Array(10).fill(NaN), [2, 5]), [1, 1], 'mode'), (a) => Array.from(a).every(Number.isNaN));

// ---- CLI (child processes: exit code, message) ---------------------------------------------------------------------
const cli = (args, code, names) =>
  cases.push({
    cls: 'cli',
    what: `twist ${args.join(' ')}`,
    expect: code === 0 ? 'ok' : 'error',
    names,
    cli: true,
    run: () => {
      const r = spawnSync(process.execPath, [join(root, 'packages/cli/bin/twist.mjs'), ...args], { encoding: 'utf8', timeout: 60_000, cwd: tmp });
      if (r.error || r.signal) return { crash: `${r.error?.message ?? ''} ${r.signal ?? ''}`.trim() };
      return { code: r.status, out: `${r.stdout}\n${r.stderr}`.replace(/Warning: max.*\n/g, '').trim() };
    },
    want: code,
  });
cli(['render', '--out', '--seed', '3'], 2, /--out/);
cli(['render', 'extra'], 2, /Unexpected argument 'extra'/);
cli(['render', '--dr', 'train', '--backgrounds', tmp, '--out', 'a.png'], 2, /--backgrounds does not apply with --dr train/);
cli(['render', '--seed', 'abc', '--out', 'a.png'], 2, /--seed must be a number, got 'abc'/);
cli(['render', '--size', '7', '--out', 'a.png'], 2, /--size must be in 32..128/);
cli(['render', '--task', 'nope', '--out', 'a.png'], 2, /--task must be one of/);
cli(['render', '--out', 'a.png', '--out', 'b.png'], 2, /--out is given 2 times/);
cli(['train', '--dr', 'train'], 2, /Unknown option '--dr'/);
cli(['train', '--method', 'oracle', '--task', 'cartpole-balance', '--steps', '1.5', '--out', 'r'], 2, /--steps must be an integer/);
cli(['train', '--method', 'oracle', '--task', 'cartpole-balance', '--steps', '-5', '--out', 'r'], 2, /--steps/);
cli(['train', '--method', 'nope', '--out', 'r'], 2, /--method must be one of/);
cli(['train', '--method', 'oracle', '--task', 'cartpole-balance', '--config', '{bad', '--out', 'r'], 2, /--config must be JSON/);
cli(['train', '--method', 'oracle', '--task', 'cartpole-balance', '--config', '{"agent":{"behaviour":{"horizon":0}}}', '--out', 'r'], 2, /'behaviour.horizon' must be a positive integer/);
cli(['train', '--method', 'oracle', '--task', 'cartpole-balance', '--config', '{"world":{"kl":{"scale":-1}}}', '--out', 'r'], 2, /'kl.scale'/);
cli(['train', '--resume', 'nope'], 2, /not a run directory/);
cli(['train', '--out', 'r', '--resume', 'r'], 2, /does not apply with --resume|not a run directory/);
cli(['eval'], 2, /--run DIR is required/);
cli(['eval', '--run', '.', '--episodes', '0'], 2, /--episodes must be >= 1/);
cli(['eval', '--run', '.', '--domain', 'nope'], 2, /unknown visual domain 'nope'/);
cli(['selfcheck', 'pos'], 2, /Unexpected argument 'pos'/);
cli(['distil'], 2, /--teacher is required/);
cli(['twist', '--preset', 'nope'], 2, /--preset must be one of/);
cli(['diagnose'], 2, /--run DIR is required/);
cli(['experiment'], 2, /experiment file is required/);
cli(['report', '--bogus'], 2, /Unknown option '--bogus'/);
cli(['nosuch'], 2, /unknown command 'nosuch'/);
cli([], 2, /usage: twist <command>/);
cli(['--help'], 0, /usage: twist <command>/);
cli(['render', '--help'], 0, /--out/);

// ---- run -----------------------------------------------------------------------------------------------------------
const withTimeout = (p, ms) => Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(Object.assign(new Error('timed out'), { hang: true })), ms))]);
const rows = [];
for (const [i, c] of cases.entries()) {
  const id = `S${String(i + 1).padStart(3, '0')}`;
  let outcome;
  let detail = '';
  if (c.cli) {
    const r = c.run();
    if (r.crash) [outcome, detail] = ['CRASH', r.crash];
    else {
      detail = `exit ${r.code}: ${r.out.split('\n').find((l) => l.trim()) ?? ''}`;
      if (r.code !== c.want) outcome = r.code === 0 || r.code === 2 ? 'SILENT' : 'unclear';
      else outcome = c.want === 0 ? 'ok' : c.names.test(r.out) ? 'clear' : 'unclear';
    }
  } else {
    try {
      const res = await withTimeout(Promise.resolve().then(c.run), 120_000);
      if (c.expect === 'error') [outcome, detail] = ['SILENT', 'accepted'];
      else {
        const good = c.check ? await c.check(res) : true;
        [outcome, detail] = good ? ['ok', 'as documented'] : ['SILENT', `wrong result: ${show(res)}`];
      }
    } catch (e) {
      const msg = String(e?.message ?? e).split('\n')[0];
      if (e?.hang) [outcome, detail] = ['CRASH', 'hung (120 s)'];
      else if (c.expect === 'ok') [outcome, detail] = ['unclear', `threw: ${msg}`];
      else if (e instanceof TypeError && !c.names.test(msg)) [outcome, detail] = ['unclear', `TypeError: ${msg}`];
      else [outcome, detail] = [c.names.test(msg) ? 'clear' : 'unclear', msg];
    }
  }
  rows.push({ id, cls: c.cls, what: c.what, outcome, detail: detail.slice(0, 220) });
  console.log(`${id} ${c.cls.padEnd(11)} ${outcome.padEnd(7)} ${c.what}  ->  ${detail.slice(0, 160)}`);
}
const count = (o) => rows.filter((r) => r.outcome === o).length;
console.log(`\n${rows.length} cases: ${count('clear')} clear, ${count('ok')} ok, ${count('unclear')} unclear, ${count('SILENT')} silent, ${count('CRASH')} crash/hang`);
const j = process.argv.indexOf('--json');
if (j > 0) writeFileSync(process.argv[j + 1], JSON.stringify(rows, null, 1) + '\n');
rmSync(tmp, { recursive: true, force: true });
await gpu?.sync();
gpu?.destroy();
process.exit(0);
