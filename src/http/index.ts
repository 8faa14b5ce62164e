/**
 * http: the Fastify face of the platform. Routes parse input (zod, which also writes the OpenAPI document), call
 * one use case of an area's face, and shape the answer; plugins handle auth, idempotency, rate limits, input
 * hygiene and the one error map (AppError code → status). Nothing here decides about money or security rules.
 */
export { buildApp, type HttpOptions } from './app.ts';
