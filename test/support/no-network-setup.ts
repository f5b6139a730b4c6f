/**
 * Vitest setup file (vitest.config.ts): blocks the network outside this machine in the test
 * process, and in every Node.js process the tests start, which inherit NODE_OPTIONS.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import './no-network.mjs';

const blocker = `--import=${pathToFileURL(fileURLToPath(new URL('./no-network.mjs', import.meta.url))).href}`;
if (!process.env.NODE_OPTIONS?.includes(blocker)) {
  process.env.NODE_OPTIONS = [process.env.NODE_OPTIONS, blocker].filter(Boolean).join(' ');
}
