import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_NAME_MATCH_THRESHOLD, levenshtein, scoreNameMatch } from './match.ts';
import type { NameMatchReason } from './match.ts';

const T = DEFAULT_NAME_MATCH_THRESHOLD;
const score = (bank: string, family: string, given: string) =>
  scoreNameMatch(bank, { familyNameKana: family, givenNameKana: given });

// [bank's holder name, wallet family name, wallet given name, expected reason]
const HONEST: Array<[string, string, string, NameMatchReason]> = [
  // Equal once normalised, however either side was typed.
  ['ﾔﾏﾀﾞ ﾊﾅｺ', 'ヤマダ', 'ハナコ', 'exact'],
  ['ﾔﾏﾀﾞ ﾊﾅｺ', 'やまだ', 'はなこ', 'exact'],
  ['ﾔﾏﾀﾞ ﾊﾅｺ', 'ﾔﾏﾀﾞ', 'ﾊﾅｺ', 'exact'],
  ['ﾔﾏﾀﾞ  ﾊﾅｺ', 'ヤマダ', 'ハナコ', 'exact'],
  [' ﾔﾏﾀﾞ ﾊﾅｺ ', 'ヤマダ', 'ハナコ', 'exact'],
  ['ﾔﾏﾀﾞ･ﾊﾅｺ', 'ヤマダ', 'ハナコ', 'exact'],
  ['ヤマダ　ハナコ', 'ヤマダ', 'ハナコ', 'exact'],
  ['ﾔﾏﾀﾞ ﾊﾅｺ', 'ヤマダ ', ' ハナコ', 'exact'],
  ['ｻﾄｳ ｲﾁﾛｳ', 'サトウ', 'イチロウ', 'exact'],
  ['ｽｽﾞｷ ｼﾞﾛｳ', 'スズキ', 'ジロウ', 'exact'],
  ['ﾀｶﾊｼ ﾐﾁｺ', 'タカハシ', 'ミチコ', 'exact'],
  ['ｲﾄｳ ｻｸﾗ', 'イトウ', 'サクラ', 'exact'],
  ['ﾅｶﾑﾗ ｱｲ', 'ナカムラ', 'アイ', 'exact'],
  ['ｺﾊﾞﾔｼ ｼﾖｳ', 'コバヤシ', 'ショウ', 'exact'],
  ['ｺﾊﾞﾔｼ ｼｮｳ', 'こばやし', 'しょう', 'exact'],
  ['ｶﾄｳ ｷﾖｳｺ', 'カトウ', 'キョウコ', 'exact'],
  ['ﾖｼﾀﾞ ﾘﾕｳｼﾞ', 'ヨシダ', 'リュウジ', 'exact'],
  ['ﾊﾂﾄﾘ ﾋﾛｼ', 'ハットリ', 'ヒロシ', 'exact'],
  ['ﾜﾀﾅﾍﾞ ｹﾝﾀ', 'わたなべ', 'けんた', 'exact'],
  ['ｵｶﾞﾜ ｴﾐ', 'ヲガワ', 'ヱミ', 'exact'],
  ['SMITH JOHN', 'smith', 'john', 'exact'],
  ['SMITH JOHN', 'Ｓｍｉｔｈ', 'Ｊｏｈｎ', 'exact'],
  ['ｽﾐｽ ｼﾞﾖﾝ', 'スミス', 'ジョン', 'exact'],
  ['ｳﾞｲｸﾄﾘｱ ﾍﾞﾂｶﾑ', 'ヴィクトリア', 'ベッカム', 'exact'],
  // Banks that store セイメイ without the space (or with it elsewhere).
  ['ﾔﾏﾀﾞﾊﾅｺ', 'ヤマダ', 'ハナコ', 'space_variant'],
  ['ｻﾄｳｲﾁﾛｳ', 'サトウ', 'イチロウ', 'space_variant'],
  ['ﾀｶﾊｼﾐﾁｺ', 'タカハシ', 'ミチコ', 'space_variant'],
  ['ﾅｶﾑﾗｱｲ', 'ナカムラ', 'アイ', 'space_variant'],
  ['ｽｽﾞｷｼﾞﾛｳ', 'スズキ', 'ジロウ', 'space_variant'],
  ['ｺﾊﾞﾔｼｼﾖｳ', 'コバヤシ', 'ショウ', 'space_variant'],
  ['SMITHJOHN', 'smith', 'john', 'space_variant'],
  ['ﾔﾏ ﾀﾞﾊﾅｺ', 'ヤマダ', 'ハナコ', 'space_variant'],
  ['ﾔﾏﾀﾞ ﾊﾅｺ', 'ヤマダハナコ', '', 'space_variant'],
  // A long vowel written ｵｵ, ｵｳ, ｵ- or not at all.
  ['ｵｵﾉ ｼﾞﾛｳ', 'オーノ', 'ジロウ', 'long_vowel_variant'],
  ['ｵ-ﾉ ｼﾞﾛｳ', 'オオノ', 'ジロウ', 'long_vowel_variant'],
  ['ｵﾉ ｼﾞﾛｳ', 'オーノ', 'ジロウ', 'long_vowel_variant'],
  ['ｵｰﾉ ｼﾞﾛｳ', 'オオノ', 'ジロウ', 'long_vowel_variant'],
  ['ｵｵﾀ ﾊﾅｺ', 'オータ', 'ハナコ', 'long_vowel_variant'],
  ['ｵ-ﾀ ﾊﾅｺ', 'オオタ', 'ハナコ', 'long_vowel_variant'],
  ['ｵﾀ ﾊﾅｺ', 'オオタ', 'ハナコ', 'long_vowel_variant'],
  ['ｵﾀ ﾊﾅｺ', 'オータ', 'ハナコ', 'long_vowel_variant'],
  ['ｻﾄｳ ﾕｳｷ', 'サトー', 'ユウキ', 'long_vowel_variant'],
  ['ｻﾄ- ﾕｳｷ', 'サトウ', 'ユウキ', 'long_vowel_variant'],
  ['ｻﾄ ﾕｳｷ', 'サトウ', 'ユウキ', 'long_vowel_variant'],
  ['ｻﾄｳ ﾕ-ｷ', 'サトウ', 'ユウキ', 'long_vowel_variant'],
  ['ｺﾞﾄｳ ｹﾝ', 'ゴトー', 'ケン', 'long_vowel_variant'],
  ['ｺｳﾉ ﾀﾛｳ', 'コーノ', 'タロー', 'long_vowel_variant'],
  ['ﾔﾏﾀﾞ ｾｲｼﾞ', 'ヤマダ', 'セージ', 'long_vowel_variant'],
  ['ｵｵﾉｼﾞﾛｳ', 'オーノ', 'ジロウ', 'long_vowel_variant'],
  ['ｻﾄ-ｲﾁﾛｳ', 'サトウ', 'イチロウ', 'long_vowel_variant'],
  ['ｻﾄ-ｵｻﾑ', 'サトウ', 'オサム', 'long_vowel_variant'],
  ['ｽﾐｽ ｼﾞｴ-ﾑｽﾞ', 'スミス', 'ジェイムズ', 'long_vowel_variant'],
  ['ﾎﾜｲﾄ ﾒｱﾘ', 'ホワイト', 'メアリー', 'long_vowel_variant'],
  ['ｸ-ﾊﾟ- ｼﾞﾖﾝ', 'クーパー', 'ジョン', 'exact'],
  ['ｸ-ﾊﾟ ｼﾞﾖﾝ', 'クーパー', 'ジョン', 'long_vowel_variant'],
  ['ｸｰﾊﾟｰ ｼﾞﾖﾝ', 'クーパー', 'ジョン', 'exact'],
  ['ｸ—ﾊﾟ— ｼﾞﾖﾝ', 'クーパー', 'ジョン', 'exact'],
  // ぢ/じ and づ/ず.
  ['ﾁﾂﾞｺ ﾊﾅ', 'チズコ', 'ハナ', 'ji_di_variant'],
  ['ﾁｽﾞｺ ﾊﾅ', 'チヅコ', 'ハナ', 'ji_di_variant'],
  ['ﾁﾂﾞｺﾊﾅ', 'チズコ', 'ハナ', 'ji_di_variant'],
  ['ｼﾞﾝﾉ ﾐﾂﾙ', 'ヂンノ', 'ミツル', 'ji_di_variant'],
  ['ﾁﾞﾝﾉ ﾐﾂﾙ', 'ジンノ', 'ミツル', 'ji_di_variant'],
  ['ｽﾂﾞｷ ｼﾞﾛｳ', 'スズキ', 'ジロウ', 'ji_di_variant'],
  ['ﾂﾂﾞｷ ﾊﾅｺ', 'ツズキ', 'ハナコ', 'ji_di_variant'],
  ['ﾂｽﾞｷ ﾊﾅｺ', 'つづき', 'はなこ', 'ji_di_variant'],
  ['ﾊｾｶﾞﾜ ﾁｽﾞﾙ', 'ハセガワ', 'チヅル', 'ji_di_variant'],
  ['ｺｼﾞﾏ ﾀﾛｳ', 'コヂマ', 'タロウ', 'ji_di_variant'],
  ['ﾐｶｽﾞｷ ﾘﾖｳ', 'ミカヅキ', 'リョウ', 'ji_di_variant'],
  ['ｵｵﾂﾞｶ ﾕｷ', 'オーズカ', 'ユキ', 'ji_di_variant'],
  // Family and given name the other way round.
  ['ﾊﾅｺ ﾔﾏﾀﾞ', 'ヤマダ', 'ハナコ', 'order_swapped'],
  ['ﾊﾅｺﾔﾏﾀﾞ', 'ヤマダ', 'ハナコ', 'order_swapped'],
  ['JOHN SMITH', 'smith', 'john', 'order_swapped'],
  ['ｼﾞﾖﾝ ｽﾐｽ', 'スミス', 'ジョン', 'order_swapped'],
  ['ｼﾞﾛｳ ｵ-ﾉ', 'オオノ', 'ジロウ', 'order_swapped'],
  ['ﾐﾂﾙ ｼﾞﾝﾉ', 'ヂンノ', 'ミツル', 'order_swapped'],
  ['ﾒｱﾘ ﾎﾜｲﾄ', 'ホワイト', 'メアリー', 'order_swapped'],
  ['ｲﾁﾛｳ ｻﾄｳ', 'サトウ', 'イチロウ', 'order_swapped'],
  // Nothing the rules explain, but one kana off in a long (foreign) name: a transliteration, not another person.
  ['ｳｲﾘｱﾑｽﾞ ｸﾘｽﾄﾌｱ', 'ウィリアムス', 'クリストファー', 'similar'],
  ['ｸﾘｽﾄﾌｱ ｳｲﾘｱﾑｽﾞ', 'ウィリアムス', 'クリストファー', 'similar'],
];

// [bank's holder name, wallet family name, wallet given name, why it is a different person]
const DIFFERENT: Array<[string, string, string, string]> = [
  ['ﾔﾏﾀﾞ ﾊﾙｺ', 'ヤマダ', 'ハナコ', 'sister: one kana of the given name differs'],
  ['ﾔﾏﾀﾞ ﾊﾅｴ', 'ヤマダ', 'ハナコ', 'sister'],
  ['ﾔﾏﾀﾞ ﾕｳﾀ', 'ヤマダ', 'ユウト', 'twin brother'],
  ['ﾔﾏﾀﾞ ﾀｸﾐ', 'ヤマダ', 'タクヤ', 'brother'],
  ['ｻﾄｳ ﾀﾛｳ', 'サトウ', 'ジロウ', 'brother'],
  ['ﾀﾅｶ ｼﾞﾛｳ', 'タナカ', 'タロウ', 'brother'],
  ['ｻﾄｳ ｹﾝｲﾁ', 'サトウ', 'ケンジ', 'brother'],
  ['ｻﾄｳ ｹﾝ', 'サトウ', 'ケンタ', 'given name one kana longer'],
  ['ｲﾄｳ ｻｸﾗ', 'イトウ', 'サクラコ', 'given name one kana longer'],
  ['ｺﾊﾞﾔｼ ｼﾖｳ', 'コバヤシ', 'ショウタ', 'given name one kana longer'],
  ['ﾅｶﾑﾗ ｱｲ', 'ナカムラ', 'アイコ', 'given name one kana longer'],
  ['ｲﾄｳ ｱｲ', 'イトウ', 'アオイ', 'different given name'],
  ['ﾀｶﾊｼ ﾐﾁｺ', 'タカハシ', 'ミチオ', 'husband'],
  ['ﾀｶﾊｼ ﾐﾁｺ', 'タカハシ', 'ミチヨ', 'different given name'],
  ['ﾔﾏﾓﾄ ｼﾕﾝｽｹ', 'ヤマモト', 'シュンタ', 'brother'],
  ['ｽｽﾞｷ ﾊﾅｺ', 'ヤマダ', 'ハナコ', 'maiden name still on the bank account'],
  ['ｷﾑﾗ ﾊﾅｺ', 'ヤマダ', 'ハナコ', 'maiden name still on the bank account'],
  ['ﾔﾏﾀﾞ ﾊﾅｺ', 'ヤマモト', 'ハナコ', 'married name on the bank account'],
  ['ﾔﾏﾀﾞ ﾊﾅｺ', 'ハマダ', 'ハナコ', 'one kana of the family name differs'],
  ['ﾀｶﾊｼ ﾐﾁｺ', 'タカハタ', 'ミチコ', 'one kana of the family name differs'],
  ['ｶﾄｳ ﾏｲ', 'サトウ', 'マイ', 'one kana of the family name differs'],
  ['ｲﾄｳ ﾊﾅｺ', 'カトウ', 'ハナコ', 'one kana of the family name differs'],
  ['ｻｲﾄｳ ﾊﾅｺ', 'サトウ', 'ハナコ', 'Saito is not Sato'],
  ['ﾅｶﾑﾗ ｱｲ', 'ナカジマ', 'アイ', 'different family name'],
  ['ﾅｶﾑﾗ ｱｲ', 'キムラ', 'アイ', 'different family name'],
  ['ﾔﾏｸﾞﾁ ﾊﾅｺ', 'ヤマダ', 'ハナコ', 'different family name'],
  ['ﾀﾅｶ ｲﾁﾛｳ', 'ヤマダ', 'ハナコ', 'stranger'],
  ['ﾀｶﾊｼ ﾐﾁｺ', 'タナカ', 'ジロウ', 'stranger'],
  ['ﾀｶﾊｼ ﾐﾁｺ', 'タナカ', 'タロウ', 'stranger'],
  ['ﾃｽﾄ', 'キムラ', 'ケン', 'stranger'],
  ['SMITH JOHN', 'smith', 'jane', 'different given name'],
  ['SMITH JOHN', 'jones', 'john', 'different family name'],
  ['ﾀﾞﾔﾏ ﾅｺﾊ', 'ヤマダ', 'ハナコ', 'the same kana rearranged'],
  ['ｻﾄｳｻﾑ', 'サトウ', 'オサム', 'a long vowel is never collapsed across the family/given boundary'],
  ['ｻﾄｳ ｻﾑ', 'サトウ', 'オサム', 'a long vowel is never collapsed across the family/given boundary'],
  ['ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ', 'ヤマダ', 'ショウジ', 'a company account'],
  ['ﾔﾏﾀﾞｼﾖｳｼﾞ(ｶ', 'ヤマダ', 'ショウジ', 'a company account'],
  ['ﾔﾏﾀﾞ ﾊﾅｺ', 'ヤマダ', '', 'the wallet has no given name'],
  ['ﾔﾏﾀﾞ', 'ヤマダ', 'ハナコ', 'the bank has no given name'],
  ['ﾔﾏﾀﾞ ﾊﾅｺ', '山田', '花子', 'the wallet name is not kana'],
  ['', 'ヤマダ', 'ハナコ', 'the bank returned no name'],
  ['ﾔﾏﾀﾞ ﾊﾅｺ', '', '', 'the wallet has no name'],
  ['', '', '', 'neither has a name: never a match'],
];

describe('scoreNameMatch: honest variants pass', () => {
  it.each(HONEST)('%s vs %s %s → %s', (bank, family, given, reason) => {
    const m = score(bank, family, given);
    expect(m.reason, `${m.normalizedBank} / ${m.normalizedWallet} ${m.score}`).toBe(reason);
    expect(m.score).toBeGreaterThanOrEqual(T);
  });
});

describe('scoreNameMatch: different people fail', () => {
  it.each(DIFFERENT)('%s vs %s %s (%s)', (bank, family, given) => {
    const m = score(bank, family, given);
    expect(m.score, `${m.normalizedBank} / ${m.normalizedWallet} ${m.reason}`).toBeLessThan(T);
    expect(m.reason).toBe('different');
  });
});

describe('scoreNameMatch: scores', () => {
  it.each<[string, string, string, number]>([
    ['ﾔﾏﾀﾞ ﾊﾅｺ', 'ヤマダ', 'ハナコ', 100],
    ['ﾔﾏﾀﾞﾊﾅｺ', 'ヤマダ', 'ハナコ', 98],
    ['ｵﾉ ｼﾞﾛｳ', 'オーノ', 'ジロウ', 96],
    ['ﾁﾂﾞｺ ﾊﾅ', 'チズコ', 'ハナ', 95],
    ['ﾊﾅｺ ﾔﾏﾀﾞ', 'ヤマダ', 'ハナコ', 95],
    ['ｳｲﾘｱﾑｽﾞ ｸﾘｽﾄﾌｱ', 'ウィリアムス', 'クリストファー', 86],
    // The weaker name part decides: ﾊﾙｺ keeps two of ﾊﾅｺ's three kana.
    ['ﾔﾏﾀﾞ ﾊﾙｺ', 'ヤマダ', 'ハナコ', 67],
    ['ｲﾄｳ ｻｸﾗ', 'イトウ', 'サクラコ', 75],
    ['ﾀﾅｶ ｲﾁﾛｳ', 'ヤマダ', 'ハナコ', 0],
    ['', 'ヤマダ', 'ハナコ', 0],
  ])('%s vs %s %s → %i', (bank, family, given, expected) => {
    expect(score(bank, family, given).score).toBe(expected);
  });

  it('reports both canonical forms as evidence', () => {
    expect(score('ｽｽﾞｷ ﾊﾅｺ', 'やまだ', 'はなこ')).toMatchObject({
      normalizedBank: 'ｽｽﾞｷ ﾊﾅｺ',
      normalizedWallet: 'ﾔﾏﾀﾞ ﾊﾅｺ',
      reason: 'different',
    });
    expect(score('ｶﾌﾞｼｷｶﾞｲｼﾔ ﾔﾏﾀﾞ', 'ヤマダ', '')).toMatchObject({ normalizedBank: 'ｶ)ﾔﾏﾀﾞ', normalizedWallet: 'ﾔﾏﾀﾞ' });
  });

  it('does not search names far longer than Zengin allows', () => {
    const long = 'ｱ'.repeat(500);
    expect(score(long, 'ア'.repeat(250), 'ア'.repeat(249)).score).toBe(0);
    expect(score(`${long} ｲ`, 'ア'.repeat(500), 'イ')).toMatchObject({ score: 100, reason: 'exact' });
  });
});

describe('known limits of the long-vowel rule (docs/zengin.md asks for ｵｵ = ｵ- = ｵ; the birth-date check backs it up)', () => {
  it.each([
    ['ｵﾉ ﾊﾅｺ', 'オオノ', 'ハナコ', '小野 and 大野 meet'],
    ['ﾔﾏﾀﾞ ﾕｷ', 'ヤマダ', 'ユウキ', 'ゆき and ゆうき meet'],
    ['ｶﾄｳ ｷﾖｺ', 'カトウ', 'キョウコ', 'きよこ and きょうこ meet'],
  ])('%s vs %s %s: %s', (bank, family, given) => {
    expect(score(bank, family, given)).toMatchObject({ score: 96, reason: 'long_vowel_variant' });
  });

  it('one kana off in a given name of seven or more kana passes as similar (a twin with such a name would pass)', () => {
    expect(score('ﾔﾏﾓﾄ ｼﾞﾕﾝｲﾁﾛｳ', 'ヤマモト', 'シュンイチロウ')).toMatchObject({ score: 86, reason: 'similar' });
  });
});

describe('levenshtein', () => {
  it.each<[string, string, number]>([
    ['', '', 0],
    ['ABC', 'ABC', 0],
    ['ABC', '', 3],
    ['', 'ABC', 3],
    ['KITTEN', 'SITTING', 3],
    ['FLAW', 'LAWN', 2],
    ['ﾊﾅｺ', 'ﾊﾙｺ', 1],
    ['ﾊﾅｺ', 'ﾊﾅｺｺ', 1],
    ['ｼﾞﾛｳ', 'ｼﾛｳ', 1],
    ['ﾀﾛｳ', 'ｼﾞﾛｳ', 2],
    ['ﾔﾏﾀﾞ', 'ﾀﾞﾔﾏ', 4],
    ['ｻｸﾗ', 'ｻｸﾗｺ', 1],
  ])('%s / %s → %i', (a, b, expected) => {
    expect(levenshtein(a, b)).toBe(expected);
  });

  const kanaString = fc.array(fc.constantFrom(...'ｱｲｳｶｷﾞﾊﾟﾝ-'), { maxLength: 12 }).map((c) => c.join(''));
  it('is a metric bounded by the longer length', () => {
    fc.assert(
      fc.property(kanaString, kanaString, kanaString, (a, b, c) => {
        const ab = levenshtein(a, b);
        expect(ab).toBe(levenshtein(b, a));
        expect(ab === 0).toBe(a === b);
        expect(ab).toBeLessThanOrEqual(Math.max(a.length, b.length));
        expect(ab).toBeLessThanOrEqual(levenshtein(a, c) + levenshtein(c, b));
      }),
    );
  });
});

// Plausible name parts: 2–5 kana from a kana set with voiced kana, small kana and long vowels.
const KANA = [
  ...'アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワンガギグゲゴザジズゼゾダデドバビブベボパピプペポャュョッー',
];
const part = fc.array(fc.constantFrom(...KANA), { minLength: 2, maxLength: 5 }).map((c) => c.join(''));

describe('scoreNameMatch: properties', () => {
  it('scores an integer from 0 to 100, and 100 exactly when the reason is exact', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), part, part, (bank, family, given) => {
        const m = score(bank, family, given);
        expect(Number.isInteger(m.score)).toBe(true);
        expect(m.score).toBeGreaterThanOrEqual(0);
        expect(m.score).toBeLessThanOrEqual(100);
        expect(m.score === 100).toBe(m.reason === 'exact');
      }),
      { numRuns: 2000 },
    );
  });

  it('a name scores 100 against itself, in any script', () => {
    fc.assert(
      fc.property(part, part, (family, given) => {
        const hiragana = (s: string) =>
          s.replace(/[\u30a1-\u30f6]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0x60));
        expect(score(`${family} ${given}`, hiragana(family), hiragana(given)).score).toBe(100);
      }),
      { numRuns: 1000 },
    );
  });

  it('a name without its space, or in the other order, still passes', () => {
    fc.assert(
      fc.property(part, part, (family, given) => {
        expect(score(`${family}${given}`, family, given).score).toBeGreaterThanOrEqual(95);
        expect(score(`${given} ${family}`, family, given).score).toBeGreaterThanOrEqual(95);
      }),
      { numRuns: 1000 },
    );
  });

  it('a given name with one kana replaced by one the rules never equate fails', () => {
    fc.assert(
      fc.property(
        part,
        fc.array(fc.constantFrom(...'カキクケコサシスセソナニヌネノマミムメモ'), { minLength: 2, maxLength: 5 }),
        fc.nat(),
        (family, givenChars, at) => {
          const i = at % givenChars.length;
          const given = givenChars.join('');
          const sibling = givenChars.map((c, j) => (j === i ? 'ラ' : c)).join('');
          expect(score(`${family} ${sibling}`, family, given).score).toBeLessThan(T);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
