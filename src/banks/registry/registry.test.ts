import { describe, expect, it } from 'vitest';
import { JapanPostFormatError, PARTICIPATING_BANKS, findBank, findBranch, japanPostToZengin, listBanks, listBranches } from './index.ts';

describe('bank registry (zengin-code)', () => {
  it('holds every Japanese bank, sorted by code', () => {
    const banks = listBanks();
    expect(banks.length).toBeGreaterThan(1_000);
    expect(banks.map((b) => b.code)).toEqual([...banks.map((b) => b.code)].sort());
    expect(findBank('0001')).toMatchObject({ code: '0001', nameKana: 'ミズホ' });
  });

  it.each([
    ['みずほ', '0001'],
    ['ミズホ', '0001'],
    ['0009', '0009'],
    ['ゆうちょ', '9900'],
  ])('search %s finds %s', (q, code) => {
    expect(listBanks(q).map((b) => b.code)).toContain(code);
  });

  it('branches: by bank, searchable; unknown bank → undefined', () => {
    expect(listBranches('0001')!.length).toBeGreaterThan(100);
    expect(listBranches('0001', 'ほんてん')!.map((b) => b.code)).toContain('100');
    expect(listBranches('9998')).toBeUndefined();
    expect(findBranch('0001', '100')?.name).toBe('本店');
    expect(findBranch('0001', '999')).toBeUndefined();
  });

  it('the 35 participating banks all exist, each with branches', () => {
    expect(PARTICIPATING_BANKS).toHaveLength(35);
    expect(new Set(PARTICIPATING_BANKS.map((b) => b.code)).size).toBe(35);
    for (const b of PARTICIPATING_BANKS) {
      expect(findBank(b.code), b.code).toBeDefined();
      expect(listBranches(b.code)!.length, b.code).toBeGreaterThan(0);
    }
  });
});

describe('Japan Post Bank symbol/number → Zengin', () => {
  it.each([
    ['10530', '12345671', { branchCode: '058', accountType: 'ordinary', accountNumber: '1234567' }],
    ['10530', '1231', { branchCode: '058', accountType: 'ordinary', accountNumber: '0000123' }],
    ['14090', '98765431', { branchCode: '408', accountType: 'ordinary', accountNumber: '9876543' }],
    ['00530', '123456', { branchCode: '059', accountType: 'current', accountNumber: '0123456' }],
  ])('%s %s', (symbol, number, expected) => {
    const z = japanPostToZengin(symbol, number);
    expect(z).toEqual(expected);
    expect(findBranch('9900', z.branchCode), z.branchCode).toBeDefined();
  });

  it.each([
    ['1053', '12345671'],
    ['20530', '12345671'],
    ['10530', '12345672'],
    ['10530', '123456789'],
    ['10530', 'abc'],
    ['00530', '12345678'],
    ['10530', ''],
  ])('%s %s is refused', (symbol, number) => {
    expect(() => japanPostToZengin(symbol, number)).toThrow(JapanPostFormatError);
  });
});
