#!/usr/bin/env node
/* global process, console, URL */
// Builds the web apps that are missing, so that `npm start` on a fresh clone serves the staff
// console at /admin and the public portal at /: web/dist/console (web/vite.config.ts) and
// web/dist/portal (web/vite.portal.config.ts). `npm run build:web` rebuilds both on purpose.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const apps = [
  { name: 'staff console', out: 'web/dist/console', config: 'web/vite.config.ts' },
  { name: 'public portal', out: 'web/dist/portal', config: 'web/vite.portal.config.ts' },
];
for (const app of apps) {
  if (existsSync(`${root}${app.out}/index.html`)) {
    continue;
  }
  console.log(`rekisteri: building the ${app.name} (once)...`);
  const result = spawnSync(
    process.execPath,
    [`${root}node_modules/vite/bin/vite.js`, 'build', '--config', app.config, '--logLevel', 'warn'],
    { cwd: root, stdio: 'inherit' },
  );
  if (result.status !== 0) {
    console.error(
      `rekisteri: the ${app.name} could not be built; the API still works. Run \`npm run build:web\` to see why.`,
    );
  }
}
