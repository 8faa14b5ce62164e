import { describe, expect, it } from 'vitest';
import { DEFAULT_NAME_MATCH_THRESHOLD, jaroWinkler, scoreNameMatch } from './match.ts';

const T = DEFAULT_NAME_MATCH_THRESHOLD;

describe('scoreNameMatch: honest variants pass', () => {
  it.each([
    ['ﾔﾏﾀﾞ ﾊﾅｺ', 'ヤマダ', 'ハナコ'],
    ['ﾔﾏﾀﾞﾊﾅｺ', 'ヤマダ', 'ハナコ'],
    ['ﾔﾏﾀﾞ  ﾊﾅｺ', 'やまだ', 'はなこ'],
    ['ﾊﾅｺ ﾔﾏﾀﾞ', 'ヤマダ', 'ハナコ'],
    ['ｵｵﾉ ｼﾞﾛｳ', 'オーノ', 'ジロウ'],
    ['ｵ-ﾉ ｼﾞﾛｳ', 'オオノ', 'ジロウ'],
    ['ｵﾉ ｼﾞﾛｳ', 'オオノ', 'ジロウ'],
    ['ｵｰﾉ ｼﾞﾛｳ', 'オオノ', 'ジロウ'],
    ['ｻﾄｳ ﾕｳｷ', 'サトー', 'ユウキ'],
    ['ｻﾄ- ﾕｳｷ', 'サトウ', 'ユウキ'],
    ['ﾁﾂﾞｺ ﾊﾅ', 'チズコ', 'ハナ'],
    ['ｼﾞﾝﾉ ﾐﾂﾙ', 'ヂンノ', 'ミツル'],
    ['ｷﾖｳｺ ﾀﾅｶ', 'タナカ', 'キョウコ'],
    ['ﾀﾅｶ ｷﾖｳｺ', 'タナカ', 'キョウコ'],
    ['ﾀﾅｶ ｷｮｳｺ', 'タナカ', 'キョウコ'],
    ['ｽｽﾞｷ ｼﾞﾛｳ', 'スズキ', 'ジロウ'],
    ['ｽﾂﾞｷ ｼﾞﾛｳ', 'スズキ', 'ジロウ'],
    ['SMITH JOHN', 'smith', 'john'],
  ])('%s vs %s %s', (bank, family, given) => {
    const m = scoreNameMatch(bank, { familyNameKana: family, givenNameKana: given });
    expect(m.score, m.reason).toBeGreaterThanOrEqual(T);
  });
});

describe('scoreNameMatch: different people fail', () => {
  it.each([
    ['ﾔﾏﾀﾞ ﾊﾙｺ', 'ヤマダ', 'ハナコ'],
    ['ｽｽﾞｷ ﾊﾅｺ', 'ヤマダ', 'ハナコ'],
    ['ﾀﾅｶ ｲﾁﾛｳ', 'ヤマダ', 'ハナコ'],
    ['ｻﾄｳ ﾀﾛｳ', 'サトウ', 'ジロウ'],
    ['ﾀﾅｶ ｼﾞﾛｳ', 'タナカ', 'タロウ'],
    ['ﾀｶﾊｼ ﾐﾁｺ', 'タナカ', 'ジロウ'],
    ['ﾀｶﾊｼ ﾐﾁｺ', 'タカハシ', 'ミチオ'],
    ['ﾀｶﾊｼ ﾐﾁｺ', 'タカハタ', 'ミチコ'],
    ['ｲﾄｳ ｻｸﾗ', 'イトウ', 'サクラコ'],
    ['ｺﾊﾞﾔｼ ｼﾖｳ', 'コバヤシ', 'ショウタ'],
    ['ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ', 'ヤマダ', 'ショウジ'],
  ])('%s vs %s %s', (bank, family, given) => {
    const m = scoreNameMatch(bank, { familyNameKana: family, givenNameKana: given });
    expect(m.score, `${m.normalizedBank} / ${m.normalizedWallet} ${m.reason}`).toBeLessThan(T);
  });

  it('a maiden name still on the bank account does not pass', () => {
    expect(scoreNameMatch('ｷﾑﾗ ﾊﾅｺ', { familyNameKana: 'ヤマダ', givenNameKana: 'ハナコ' }).score).toBeLessThan(T);
  });
});

describe('jaroWinkler', () => {
  it.each([
    ['MARTHA', 'MARHTA', 0.961],
    ['DWAYNE', 'DUANE', 0.84],
    ['DIXON', 'DICKSONX', 0.813],
    ['ABC', 'ABC', 1],
    ['ABC', 'XYZ', 0],
  ])('%s/%s ≈ %f', (a, b, expected) => {
    expect(jaroWinkler(a, b)).toBeCloseTo(expected, 2);
  });
});
