/** API keys' public surface: what code outside the module may use. */
export { apiKeyEvents } from './events.ts';
export { createApiKeysRepo } from './apikeys.repo.ts';
export { createApiKeysService, type ApiKeysService, type ApiKeyView } from './apikeys.service.ts';
