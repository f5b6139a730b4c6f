/** The staff module's public surface. */
export { staffEvents } from './events.ts';
