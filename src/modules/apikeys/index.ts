/** The API-key module's public surface. */
export { apiKeyEvents } from './events.ts';
