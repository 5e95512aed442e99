#!/usr/bin/env node
// prepack of every package: the tarball carries the repository's LICENSE (Apache-2.0) beside its package.json.
// The copy is build output (git-ignored); the root LICENSE is the one source.
import { copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

copyFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'LICENSE'), join(process.cwd(), 'LICENSE'));
