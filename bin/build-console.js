#!/usr/bin/env node
/* global process, console, URL */
// Builds the staff console (web/dist/console) when it is missing, so that `npm start` on a fresh
// clone serves /admin. `npm run build:web` rebuilds it on purpose.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
if (!existsSync(`${root}web/dist/console/index.html`)) {
  console.log('rekisteri: building the staff console (once)...');
  const result = spawnSync(
    process.execPath,
    [
      `${root}node_modules/vite/bin/vite.js`,
      'build',
      '--config',
      'web/vite.config.ts',
      '--logLevel',
      'warn',
    ],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  if (result.status !== 0) {
    console.error(
      'rekisteri: the console could not be built; the API still works. Run `npm run build:web` to see why.',
    );
  }
}
