#!/usr/bin/env node
// The twist command. It runs itself once more as a child whose stderr drops Dawn's two native limit notices
// (launcher.ts; TWIST_DAWN_WARNINGS=1 keeps them), unless this is that child.
import { fileURLToPath } from 'node:url';
import { relaunchFilteringDawnWarnings } from '../dist/launcher.js';

const argv = process.argv.slice(2);
const code = await relaunchFilteringDawnWarnings(fileURLToPath(import.meta.url), argv);
if (code !== null) process.exit(code);
const { main } = await import('../dist/main.js');
process.exit(await main(argv));
