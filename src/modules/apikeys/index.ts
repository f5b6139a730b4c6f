/** The API-key module's public surface. */
export { apiKeyEvents } from './events.ts';
export { createApiKeysService, type ApiKeysService } from './apikeys.service.ts';
