import { seededRandom } from '../platform/index.ts';

/** The simulator's one source of chance: seeded, so the same seed gives the same world and the same result. */
export interface Dice {
  next(): number;
  int(lo: number, hi: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
  /** An exponential delay with the given mean (ms). */
  delay(meanMs: number): number;
  /** A child stream: a population drawn from its own stream does not shift when another population changes. */
  fork(label: string): Dice;
}

export function createDice(seed: number): Dice {
  const next = seededRandom(seed);
  const dice: Dice = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (xs) => xs[Math.floor(next() * xs.length)]!,
    chance: (p) => next() < p,
    delay: (meanMs) => Math.round(-Math.log(1 - next()) * meanMs),
    fork: (label) => {
      let h = seed >>> 0;
      for (const c of label) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
      return createDice(h);
    },
  };
  return dice;
}
