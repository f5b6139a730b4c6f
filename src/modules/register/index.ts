/** The published register's public surface: its routes. */
export { registerRoutes } from './register.routes.ts';
