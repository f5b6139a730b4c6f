#!/usr/bin/env node
// `npm run bench -- <name> [options]`: runs bench/<name>.ts under tsx. See bench/README.md.
import { spawnSync } from 'node:child_process';
import console from 'node:console';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';

const BENCHES = ['import', 'lookup', 'memory', 'populate'];
const [name, ...args] = process.argv.slice(2);
if (!name || !BENCHES.includes(name)) {
  console.error(`usage: npm run bench -- <${BENCHES.join('|')}> [options]   (--help for each)`);
  process.exit(2);
}
const file = fileURLToPath(new URL(`../bench/${name}.ts`, import.meta.url));
const result = spawnSync(process.execPath, ['--import', 'tsx', file, ...args], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
