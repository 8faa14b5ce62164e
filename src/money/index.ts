/**
 * money: the Yen type and limit arithmetic. Pure: no I/O, no clock of its own.
 * Invariant: every amount is an integer number of yen within the safe-integer range; a moving amount is
 * 1 … 9,999,999,999. Never import a database or HTTP type here.
 */
export * from './yen.ts';
export * from './limits.ts';
export * from './tokyo-time.ts';
