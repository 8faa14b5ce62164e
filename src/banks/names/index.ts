/**
 * banks/names: Zengin normalisation of account-holder names and the name match score (ZENGIN.md).
 * Pure: no I/O. Invariant: normalising is idempotent, and equal canonical forms score 100.
 */
export * from './normalize.ts';
export * from './match.ts';
