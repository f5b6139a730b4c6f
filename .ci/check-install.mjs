#!/usr/bin/env node
// CI: the locked dependency tree must run on the oldest Node.js that package.json (and the README)
// promise, and every install script must have been reviewed. Reads package.json and
// package-lock.json only, so it holds whatever Node.js version CI itself runs on.
// Usage: node .ci/check-install.mjs [npm-ci-output.log]
import console from 'node:console';
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';
import semver from 'semver';

const root = new URL('../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8'));

const problems = [];
// allowScripts keys are `name` or `name@range`: an entry of either form counts as reviewed.
const reviewed = new Set(
  Object.keys(pkg.allowScripts ?? {}).map((key) => key.replace(/(?<=.)@.*$/, '')),
);
// The oldest release of each supported line (20.19.0, 22.12.0, 24.0.0 for
// "^20.19.0 || ^22.12.0 || >=24.0.0"): a package must run on every one of them.
const oldest = new semver.Range(pkg.engines.node).set.map((comparators) =>
  semver.minVersion(new semver.Range(comparators.map((c) => c.value).join(' '))),
);
for (const [path, entry] of Object.entries(lock.packages)) {
  const range = entry.engines?.node;
  if (path === '' || range === undefined) {
    continue;
  }
  const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
  for (const version of oldest) {
    if (!semver.satisfies(version, range)) {
      problems.push(
        `${name}@${entry.version} needs Node.js ${range}, but package.json promises ${version} (${pkg.engines.node}; ${path})`,
      );
    }
  }
  if (entry.hasInstallScript && !reviewed.has(name)) {
    problems.push(
      `${name}@${entry.version} has an install script that package.json's allowScripts neither allows nor denies`,
    );
  }
}

const log = process.argv[2];
if (log) {
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    if (/EBADENGINE|install-scripts/.test(line)) {
      problems.push(`npm ci warned: ${line.trim()}`);
    }
  }
}

if (problems.length > 0) {
  console.error(`ci: the dependency tree does not match engines.node ${pkg.engines.node}:`);
  for (const p of problems) {
    console.error(`  ${p}`);
  }
  process.exit(1);
}
console.log(
  `ci: every locked package runs on Node.js ${oldest.map((v) => v.version).join(', ')}; install scripts reviewed; npm ci gave no engine warning`,
);
