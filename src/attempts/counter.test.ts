import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES } from '../../test/support/databases.ts';
import { freshDatabase } from '../../test/support/databases.ts';
import type { Database } from '../db/index.ts';
import { AppError, ManualClock } from '../platform/index.ts';
import { type Budget, createAttemptCounter } from './index.ts';

const MINUTE = 60_000;

describe.each(DATABASES)('attempt counter on %s', (kind) => {
  let d: Database;
  const clock = new ManualClock('2026-11-10T03:00:00Z');
  let counter: ReturnType<typeof createAttemptCounter>;
  beforeAll(async () => {
    d = await freshDatabase(kind, 40);
    counter = createAttemptCounter({ db: d.db, clock });
  });
  afterAll(() => d.close());

  const codeOf = (e: unknown) => (e instanceof AppError ? e.code : String(e));

  it('150 parallel attempts on a budget of 5: exactly 5 are granted, the rest answer too_many_attempts', async () => {
    const budget: Budget = { key: `t:${kind}:burst`, max: 5, windowMs: MINUTE };
    const results = await Promise.allSettled(Array.from({ length: 150 }, () => counter.consume(budget)));
    const granted = results.filter((r) => r.status === 'fulfilled');
    expect(granted).toHaveLength(5);
    for (const r of results) if (r.status === 'rejected') expect(codeOf(r.reason)).toBe('too_many_attempts');
  });

  it('a failure keeps the attempt spent, a success gives it back (refund), the window frees everything', async () => {
    const budget: Budget = { key: `t:${kind}:refund`, max: 2, windowMs: MINUTE };
    const a = await counter.consume(budget);
    expect(a.remaining).toBe(1);
    await a.failed();
    const b = await counter.consume(budget);
    await b.succeeded();
    const c = await counter.consume(budget);
    expect(c.remaining).toBe(0);
    await c.failed();
    await expect(counter.consume(budget)).rejects.toMatchObject({ code: 'too_many_attempts' });
    clock.advance(MINUTE + 1);
    expect((await counter.consume(budget)).remaining).toBe(1);
  });

  it('reaching max failures locks for an escalating time; a success resets consecutive failures', async () => {
    const budget: Budget = {
      key: `t:${kind}:lock`,
      max: 3,
      windowMs: 24 * 60 * MINUTE,
      lockMs: [MINUTE, 5 * MINUTE],
      onSuccess: 'reset',
    };
    for (let i = 0; i < 2; i++) await (await counter.consume(budget)).failed();
    await (await counter.consume(budget)).succeeded();
    for (let i = 0; i < 2; i++) expect(await (await counter.consume(budget)).failed()).toBe(false);
    expect(await (await counter.consume(budget)).failed()).toBe(true);
    const locked = await counter.consume(budget).catch((e: AppError) => e);
    expect(locked).toMatchObject({ code: 'too_many_attempts', details: { retryAfterSeconds: 60 } });
    clock.advance(MINUTE + 1);
    for (let i = 0; i < 3; i++) await (await counter.consume(budget)).failed();
    await expect(counter.consume(budget)).rejects.toMatchObject({ details: { retryAfterSeconds: 300 } });
  });

  it('several budgets are all or none: a spent one gives the others back', async () => {
    const wide: Budget = { key: `t:${kind}:wide`, max: 10, windowMs: MINUTE };
    const narrow: Budget = { key: `t:${kind}:narrow`, max: 1, windowMs: MINUTE };
    await (await counter.consume([wide, narrow])).failed();
    await expect(counter.consume([wide, narrow])).rejects.toMatchObject({ code: 'too_many_attempts' });
    expect((await counter.peek(wide)).used).toBe(1);
  });

  it('parallel failures on a locking budget lock it exactly once', async () => {
    const budget: Budget = {
      key: `t:${kind}:lockonce`,
      max: 5,
      windowMs: MINUTE,
      lockMs: [MINUTE],
      onSuccess: 'reset',
    };
    const tickets = (await Promise.allSettled(Array.from({ length: 100 }, () => counter.consume(budget)))).flatMap(
      (r) => (r.status === 'fulfilled' ? [r.value] : []),
    );
    expect(tickets).toHaveLength(5);
    const locked = await Promise.all(tickets.map((t) => t.failed()));
    expect(locked.filter(Boolean)).toHaveLength(1);
    expect((await counter.peek(budget)).lockedUntil).not.toBeNull();
  });
});
