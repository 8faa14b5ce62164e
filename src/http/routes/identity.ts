import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Services } from '../../services.ts';

/** Routes of this area are added here; the plugin is registered in http/app.ts. */
export function identityRoutes(_s: Services): FastifyPluginAsyncZod {
  return async (_app) => {};
}
