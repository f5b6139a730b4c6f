/**
 * Builds the staff console: `npm run build:web` (vite build --config web/vite.config.ts) writes
 * web/dist/console (index.html and assets/), which the server serves under /admin. The root is the
 * console's own folder so that index.html lands at the top of the output and the dev server
 * answers at /admin/; shared code is imported from ../shared. No inline scripts are emitted, so
 * the strict CSP (script-src 'self') holds.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const dir = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: dir('./console'),
  base: '/admin/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: dir('./dist/console'),
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    rolldownOptions: {
      onwarn(warning, warn) {
        // TanStack Query marks its hooks "use client" for React Server Components; meaningless here.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') {
          return;
        }
        warn(warning);
      },
    },
  },
  server: {
    fs: { allow: [dir('.')] },
    // `npm start` in another terminal; the dev server passes the API through.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});
