/**
 * platform: the few pieces every area shares: the error type, the clock and the id source.
 * Nothing here knows about money, HTTP or a database.
 */
export * from './errors.ts';
export * from './clock.ts';
export * from './ids.ts';
