#!/usr/bin/env node
// The main job (`npm start`): device report, a self-check of the WGSL kernels against their CPU references on
// this machine's adapter, and a short benchmark. Runs the built packages (bootstrap --build made them).
import { selfCheck } from '../packages/cli/dist/selfcheck.js';

const code = await selfCheck({ out: process.argv[2] ?? 'out' });
process.exit(code);
