// Fails when a name of the Node.js release smoke run (.ci/run) matched no passing test: a renamed
// or removed test would otherwise leave that part of the run silently empty.
import { readFileSync } from 'node:fs';
import process from 'node:process';
import console from 'node:console';

const [report, ...names] = process.argv.slice(2);
const results = JSON.parse(readFileSync(report, 'utf8'));
const passed = results.testResults.flatMap((file) =>
  file.assertionResults.filter((t) => t.status === 'passed').map((t) => t.fullName),
);
const missing = names.filter((name) => !passed.some((full) => new RegExp(name).test(full)));
if (missing.length > 0) {
  console.error(`ci: no passing test matched: ${missing.join('; ')}`);
  process.exit(1);
}
console.log(`ci: ${passed.length} runtime-sensitive tests passed, each name matched`);
