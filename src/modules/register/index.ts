/** The published register definition's public surface: its routes and its access-log events. */
export { registerEvents } from './events.ts';
export { registerRoutes } from './register.routes.ts';
