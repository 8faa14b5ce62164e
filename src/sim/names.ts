/** Names for simulated people: kanji, katakana (eKYC) and the half-width kana a bank prints (Zengin). */
const FAMILY = [
  ['高橋', 'タカハシ', 'ﾀｶﾊｼ'],
  ['佐藤', 'サトウ', 'ｻﾄｳ'],
  ['鈴木', 'スズキ', 'ｽｽﾞｷ'],
  ['田中', 'タナカ', 'ﾀﾅｶ'],
  ['伊藤', 'イトウ', 'ｲﾄｳ'],
  ['渡辺', 'ワタナベ', 'ﾜﾀﾅﾍﾞ'],
  ['山本', 'ヤマモト', 'ﾔﾏﾓﾄ'],
  ['中村', 'ナカムラ', 'ﾅｶﾑﾗ'],
  ['小林', 'コバヤシ', 'ｺﾊﾞﾔｼ'],
  ['加藤', 'カトウ', 'ｶﾄｳ'],
  ['吉田', 'ヨシダ', 'ﾖｼﾀﾞ'],
  ['山田', 'ヤマダ', 'ﾔﾏﾀﾞ'],
] as const;
const GIVEN = [
  ['美智子', 'ミチコ', 'ﾐﾁｺ'],
  ['一郎', 'イチロウ', 'ｲﾁﾛｳ'],
  ['次郎', 'ジロウ', 'ｼﾞﾛｳ'],
  ['翼', 'ツバサ', 'ﾂﾊﾞｻ'],
  ['和子', 'カズコ', 'ｶｽﾞｺ'],
  ['花子', 'ハナコ', 'ﾊﾅｺ'],
  ['清', 'キヨシ', 'ｷﾖｼ'],
  ['健', 'ケン', 'ｹﾝ'],
  ['陽菜', 'ヒナ', 'ﾋﾅ'],
  ['大輔', 'ダイスケ', 'ﾀﾞｲｽｹ'],
  ['由美', 'ユミ', 'ﾕﾐ'],
  ['誠', 'マコト', 'ﾏｺﾄ'],
] as const;

export interface PersonName {
  familyName: string;
  givenName: string;
  familyNameKana: string;
  givenNameKana: string;
  /** As the bank holds it: half-width kana, family and given name separated by a space. */
  holderNameKana: string;
}

export function nameOf(n: number): PersonName {
  const f = FAMILY[n % FAMILY.length]!;
  const g = GIVEN[Math.floor(n / FAMILY.length) % GIVEN.length]!;
  return {
    familyName: f[0],
    givenName: g[0],
    familyNameKana: f[1],
    givenNameKana: g[1],
    holderNameKana: `${f[2]} ${g[2]}`,
  };
}

/** A birth date between 1940 and 2005, from a number. */
export function birthDateOf(n: number): string {
  const y = 1940 + (n % 66);
  const m = 1 + (Math.floor(n / 66) % 12);
  const d = 1 + (Math.floor(n / 792) % 28);
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}
