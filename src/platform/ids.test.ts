import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.ts';
import { seededRandom, ulidIds } from './ids.ts';

describe('injected randomness', () => {
  it('a seeded source repeats its sequence, and different seeds differ', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const seqA = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(seqA);
    expect(Array.from({ length: 5 }, seededRandom(43))).not.toEqual(seqA);
    for (const x of seqA) expect(x >= 0 && x < 1).toBe(true);
  });

  it('ids from a seeded source and a manual clock repeat run for run; default ids differ every time', () => {
    const run = () => {
      const ids = ulidIds({ random: seededRandom(7), clock: new ManualClock('2026-11-10T03:00:00Z') });
      return [ids('chg'), ids('pay'), ids('usr')];
    };
    expect(run()).toEqual(run());
    expect(run()[0]).toMatch(/^chg_[0-9a-z]{26}$/);
    expect(ulidIds()('chg')).not.toEqual(ulidIds()('chg'));
  });
});
