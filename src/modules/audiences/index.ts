/** Audiences (docs/audiences.md): the module's public surface. */
export { audienceFilter, audienceInput, type AudienceFilter, type AudienceInput } from './model.ts';
export {
  createAudiencesService,
  type AudiencesDeps,
  type AudiencesService,
} from './audiences.service.ts';
export { audiencesRoutes } from './audiences.routes.ts';
export { audienceEvents } from './events.ts';
