import { describe, expect, it } from 'vitest';
import { createListIndex } from './lists.ts';
import { riskEvent } from './vocabulary.ts';

const NOW = new Date('2026-11-10T03:00:00Z');
const ACCOUNT = '0001-001-1234567';

describe('list matching', () => {
  it('a watched bank account matches who links to it next, not charges on links it already has', () => {
    const lists = createListIndex();
    lists.add('watch', 'bank_account', ACCOUNT, null);
    expect(lists.matches('watch', riskEvent({ type: 'link', bankAccount: ACCOUNT }), NOW)).toBe(true);
    // The holder's own link, left live by a report that named someone else's: its charges are not "near fraud".
    expect(lists.matches('watch', riskEvent({ type: 'charge', bankAccount: ACCOUNT }), NOW)).toBe(false);
    expect(lists.matches('watch', riskEvent({ type: 'withdrawal', bankAccount: ACCOUNT }), NOW)).toBe(false);
  });

  it('a blocked bank account matches every event, and other watched values match charges too', () => {
    const lists = createListIndex();
    lists.add('block', 'bank_account', ACCOUNT, null);
    lists.add('watch', 'device', 'dev_1', null);
    expect(lists.matches('block', riskEvent({ type: 'charge', bankAccount: ACCOUNT }), NOW)).toBe(true);
    expect(lists.matches('watch', riskEvent({ type: 'charge', deviceId: 'dev_1' }), NOW)).toBe(true);
  });

  it('an expired entry matches nothing', () => {
    const lists = createListIndex();
    lists.add('watch', 'bank_account', ACCOUNT, '2026-11-10T02:00:00Z');
    expect(lists.matches('watch', riskEvent({ type: 'link', bankAccount: ACCOUNT }), NOW)).toBe(false);
  });
});
