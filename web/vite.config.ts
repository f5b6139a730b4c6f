/**
 * Builds the web apps. `npm run build:web` builds both:
 *
 * - the staff console (this file): web/console → web/dist/console, served under /admin;
 * - the public portal (vite.portal.config.ts): web/portal → web/dist/portal, served at /.
 *
 * Each app's root is its own folder, so that its index.html lands at the top of its output and
 * the dev server answers at its base; shared code is imported from ../shared. No inline scripts
 * are emitted, so the strict CSP (script-src 'self') holds.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, type UserConfig } from 'vite';

const dir = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** One app's build: its folder under web/, the path it is served at, its output folder. */
export function webApp(name: 'console' | 'portal', base: string): UserConfig {
  return {
    root: dir(`./${name}`),
    base,
    publicDir: false,
    oxc: { jsx: { runtime: 'automatic' } },
    build: {
      outDir: dir(`./dist/${name}`),
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
  };
}

export default defineConfig(webApp('console', '/admin/'));
