/** Builds the public portal: web/portal → web/dist/portal, served at / (see vite.config.ts). */
import { defineConfig } from 'vite';
import { webApp } from './vite.config.ts';

export default defineConfig(webApp('portal', '/'));
