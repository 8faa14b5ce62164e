import { describe, expect, it } from 'vitest';
import {
  findBank,
  findBranch,
  listBanks,
  listBranches,
  registryStats,
  searchKey,
  toHalfWidthKana,
} from './registry.ts';

const codes = (xs: ReadonlyArray<{ code: string }> | undefined) => (xs ?? []).map((x) => x.code);
const isSorted = (xs: string[]) => xs.every((c, i) => i === 0 || (xs[i - 1] ?? '') < c);

describe('loading zengin-code', () => {
  it('holds every Japanese bank and branch, sorted by code, with unique codes', () => {
    const stats = registryStats();
    expect(stats.banks).toBeGreaterThan(1_000);
    expect(stats.branches).toBeGreaterThan(20_000);
    const banks = codes(listBanks());
    expect(banks).toHaveLength(stats.banks);
    expect(isSorted(banks)).toBe(true);
    expect(banks.every((c) => /^\d{4}$/.test(c))).toBe(true);
    const mizuho = codes(listBranches('0001'));
    expect(isSorted(mizuho)).toBe(true);
    expect(mizuho.every((c) => /^\d{3}$/.test(c))).toBe(true);
  });

  it('loads once: later calls share the cached objects', () => {
    const before = registryStats();
    expect(findBank('0001')).toBe(findBank('0001'));
    expect(listBanks('0001')[0]).toBe(findBank('0001'));
    expect(registryStats()).toEqual(before);
  });

  it('cached objects cannot be changed by a caller', () => {
    const bank = findBank('0001')!;
    expect(Object.isFrozen(bank)).toBe(true);
    expect(Object.isFrozen(findBranch('0001', '100'))).toBe(true);
  });
});

describe('findBank / findBranch', () => {
  it.each([
    ['0001', { code: '0001', name: 'みずほ', nameKana: 'ミズホ', nameHalfKana: 'ﾐｽﾞﾎ' }],
    ['9900', { code: '9900', name: 'ゆうちょ', nameKana: 'ユウチヨ', nameHalfKana: 'ﾕｳﾁﾖ' }],
    ['0035', { code: '0035', name: 'ソニー', nameKana: 'ソニ－', nameHalfKana: 'ｿﾆ-' }],
  ])('bank %s', (code, expected) => {
    expect(findBank(code)).toEqual(expected);
  });

  it.each(['9998', '', '1', '00001', 'abcd', ' 0001'])('unknown bank %j → undefined', (code) => {
    expect(findBank(code)).toBeUndefined();
    expect(listBranches(code)).toBeUndefined();
    expect(listBranches(code, 'ほんてん')).toBeUndefined();
    expect(findBranch(code, '001')).toBeUndefined();
  });

  it.each([
    ['0001', '100', '本店', 'ホンテン'],
    ['9900', '058', '〇五八', 'ゼロゴハチ'],
    ['9900', '059', '〇五九', 'ゼロゴキユウ'],
  ])('branch %s-%s is %s', (bank, branch, name, nameKana) => {
    expect(findBranch(bank, branch)).toEqual({ code: branch, name, nameKana });
  });

  it.each([
    ['0001', '999'],
    ['0001', '1'],
    ['0001', '0100'],
    ['0001', ''],
  ])('unknown branch %s-%j → undefined', (bank, branch) => {
    expect(findBranch(bank, branch)).toBeUndefined();
  });
});

describe('listBanks(q)', () => {
  it.each([
    ['みずほ', '0001', 'name, hiragana'],
    ['ミズホ', '0001', 'kana, katakana'],
    ['ﾐｽﾞﾎ', '0001', 'half-width katakana'],
    ['みずほ銀行', '0001', 'with 銀行, which the data leaves out'],
    ['ミズホギンコウ', '0001', 'with ギンコウ'],
    ['ゆうちょ', '9900', 'small kana typed, data writes ユウチヨ'],
    ['ゆうちよ', '9900', 'Zengin spelling'],
    ['そにー', '0035', 'long vowel vs data’s full-width minus'],
    ['ソニ-', '0035', 'ASCII hyphen'],
    ['三井住友', '0009', 'kanji name'],
    ['0009', '0009', 'full code'],
    ['000', '0009', 'code prefix'],
    ['０００９', '0009', 'full-width digits'],
    ['  0009 ', '0009', 'surrounding spaces'],
    ['しずおか', '0149', 'hiragana of a kana name'],
    ['いよ', '0174', 'short kana'],
  ])('%j finds %s (%s)', (q, code) => {
    expect(codes(listBanks(q))).toContain(code);
  });

  it.each([
    ['9998', 'no such code'],
    ['ｘｙｚｚｙ', 'nothing matches'],
    ['銀行', 'only the dropped word'],
  ])('%j finds nothing (%s)', (q) => {
    expect(listBanks(q)).toEqual([]);
  });

  it.each([undefined, '', '   '])('%j lists every bank', (q) => {
    expect(listBanks(q)).toHaveLength(registryStats().banks);
  });

  it('a code prefix only matches codes that start with it, in order', () => {
    const found = codes(listBanks('01'));
    expect(found.length).toBeGreaterThan(10);
    expect(found.every((c) => c.startsWith('01'))).toBe(true);
    expect(isSorted(found)).toBe(true);
  });
});

describe('listBranches(bank, q)', () => {
  it.each([
    ['0001', 'ほんてん', '100', 'hiragana'],
    ['0001', 'ホンテン', '100', 'katakana'],
    ['0001', '本店', '100', 'kanji'],
    ['0001', '10', '100', 'code prefix'],
    ['0001', 'まるのうち', '005', 'substring of kana'],
    ['0001', '丸の内支店', '004', 'with 支店, which the data leaves out'],
    ['0001', 'つきぢ', '015', 'ぢ as the data spells it'],
    ['9900', '〇五八', '058', 'Japan Post branch by kanji digits'],
    ['9900', 'ぜろごはち', '058', 'Japan Post branch by reading'],
    ['9900', '058', '058', 'Japan Post branch by code'],
  ])('%s %j finds %s (%s)', (bank, q, code) => {
    expect(codes(listBranches(bank, q))).toContain(code);
  });

  it('known bank, nothing matching → [] (not undefined)', () => {
    expect(listBranches('0001', 'ｘｙｚｚｙ')).toEqual([]);
    expect(listBranches('0001', '999')).toEqual([]);
  });

  it('no q → every branch of the bank', () => {
    expect(listBranches('0001')!.length).toBeGreaterThan(100);
    expect(listBranches('0001', ' ')).toEqual(listBranches('0001'));
  });
});

describe('kana helpers', () => {
  it.each([
    ['ゆうちょ', 'ユウチヨ'],
    ['ソニ－', 'ソニー'],
    ['ｿﾆｰ', 'ソニー'],
    ['ａｂｃ ＤＥＦ', 'ABCDEF'],
    ['がっこう', 'ガツコウ'],
  ])('searchKey(%j) = %j', (input, expected) => {
    expect(searchKey(input)).toBe(expected);
  });

  it.each([
    ['ミズホ', 'ﾐｽﾞﾎ'],
    ['パルプ', 'ﾊﾟﾙﾌﾟ'],
    ['ヴイ', 'ｳﾞｲ'],
    ['ＳＢＩシンセイ', 'SBIｼﾝｾｲ'],
    ['アオモリ　ミチノク', 'ｱｵﾓﾘ ﾐﾁﾉｸ'],
    ['ソニ－', 'ｿﾆ-'],
  ])('toHalfWidthKana(%j) = %j', (input, expected) => {
    expect(toHalfWidthKana(input)).toBe(expected);
  });

  it('every bank has a half-width kana name with no full-width kana left', () => {
    for (const b of listBanks()) expect(b.nameHalfKana ?? '', b.code).not.toMatch(/[\u30a0-\u30ff\u3000\uff01-\uff5e]/);
  });
});
