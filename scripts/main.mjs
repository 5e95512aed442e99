#!/usr/bin/env node
// The main job (`npm start`): a short Oracle run (the TWIST teacher: state Dreamer) on cartpole-balance, its
// evaluation against the zero-action and random policies on the same episode seeds, its curve, then the
// self-check of the WGSL kernels against their CPU references on this machine's adapter and a short
// benchmark. Runs the built packages (bootstrap --build made them). Output in out/ (or the folder given).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../packages/cli/dist/main.js';
import { selfCheck } from '../packages/cli/dist/selfcheck.js';

const out = process.argv[2] ?? 'out';
const run = join(out, 'start-oracle-cartpole-balance');
// A fresh run each time (this folder is the main job's scratch space, not a user's run).
rmSync(run, { recursive: true, force: true });
const steps = process.env.TWIST_START_STEPS ?? '6000';
console.log(`== npm start 1/3: Oracle (state Dreamer, debug preset) on cartpole-balance for ${steps} env steps -> ${run}`);
let code = await main(['train', '--method', 'oracle', '--task', 'cartpole-balance', '--preset', 'debug', '--steps', steps, '--out', run]);
if (code !== 0) process.exit(code);
console.log(`== npm start 2/3: evaluation of ${run} (5 episodes; zero-action and random policies on the same seeds)`);
code = await main(['eval', '--run', run, '--domain', 'none', '--episodes', '5']);
if (code !== 0) process.exit(code);
console.log(`   curve: ${join(run, 'curve.png')}`);
console.log('== npm start 3/3: self-check of the WGSL kernels and a short benchmark');
process.exit(await selfCheck({ out }));
