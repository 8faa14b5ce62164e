/**
 * db: Kysely over PostgreSQL (pg) and PGlite, one code path for both; schema types and versioned migrations.
 * General helpers: `inTransaction` (the one retrying transaction helper), constraint checks.
 * Invariant: both drivers return int8 as JS numbers and dates as 'YYYY-MM-DD' strings, so repositories see
 * the same values whichever database runs.
 */
export { openDatabase, migrate, createScratchDatabase, type Database, type DatabaseOptions } from './connect.ts';
export { inTransaction, isRetryable, isUniqueViolation, isCheckViolation, backOff } from './transaction.ts';
export type * from './schema.ts';
export * from './failure-codes.ts';
export type { Kysely, Transaction } from 'kysely';
