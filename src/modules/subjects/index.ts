/** The subjects module's public surface. */
export { subjectEvents } from './events.ts';
