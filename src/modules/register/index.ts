/** The register definition module's public surface. */
export { registerEvents } from './events.ts';
