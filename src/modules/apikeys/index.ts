/** The API-keys module's public surface (minimal here; the module-seams work completes it). */
export { createApiKeysService, type ApiKeysService } from './apikeys.service.ts';
