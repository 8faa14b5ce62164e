import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareKey, isValidZenginName, normalizeZenginName } from './normalize.ts';

describe('normalizeZenginName', () => {
  it.each([
    // rule 1: hiragana, full-width katakana and half-width all meet
    ['やまだ はなこ', 'ﾔﾏﾀﾞ ﾊﾅｺ'],
    ['ヤマダ　ハナコ', 'ﾔﾏﾀﾞ ﾊﾅｺ'],
    ['ﾔﾏﾀﾞ ﾊﾅｺ', 'ﾔﾏﾀﾞ ﾊﾅｺ'],
    ['ﾔﾏﾀﾞﾊﾅｺ', 'ﾔﾏﾀﾞﾊﾅｺ'],
    ['がぎぐげご', 'ｶﾞｷﾞｸﾞｹﾞｺﾞ'],
    ['ざじずぜぞ', 'ｻﾞｼﾞｽﾞｾﾞｿﾞ'],
    ['だぢづでど', 'ﾀﾞﾁﾞﾂﾞﾃﾞﾄﾞ'],
    ['ばびぶべぼ', 'ﾊﾞﾋﾞﾌﾞﾍﾞﾎﾞ'],
    ['ぱぴぷぺぽ', 'ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ'],
    ['パピプペポ', 'ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ'],
    // rule 2: small kana written full-size
    ['キュウヨ', 'ｷﾕｳﾖ'],
    ['ｷｭｳﾖ', 'ｷﾕｳﾖ'],
    ['カブシキガイシャ ヤマダ', 'ｶ)ﾔﾏﾀﾞ'],
    ['ガッコウ', 'ｶﾞﾂｺｳ'],
    ['ｶﾞｯｺｳ', 'ｶﾞﾂｺｳ'],
    ['しょうじ', 'ｼﾖｳｼﾞ'],
    ['ちぇりー', 'ﾁｴﾘ-'],
    ['ファン', 'ﾌｱﾝ'],
    ['ヴァイオリン', 'ｳﾞｱｲｵﾘﾝ'],
    ['ヶ丘', 'ｹ丘'],
    // rule 3: long-vowel marks are one symbol
    ['オーノ', 'ｵ-ﾉ'],
    ['ｵｰﾉ', 'ｵ-ﾉ'],
    ['オ－ノ', 'ｵ-ﾉ'],
    ['オ‐ノ', 'ｵ-ﾉ'],
    ['オ—ノ', 'ｵ-ﾉ'],
    ['ｵ-ﾉ', 'ｵ-ﾉ'],
    // rule 4: ｦ, ヴ, ヰ/ヱ, dots, commas, spaces
    ['ｦｶﾞﾜ', 'ｵｶﾞﾜ'],
    ['ヲガワ', 'ｵｶﾞﾜ'],
    ['ヴ', 'ｳﾞ'],
    ['ヰヱ', 'ｲｴ'],
    ['ヤマダ・ハナコ', 'ﾔﾏﾀﾞ ﾊﾅｺ'],
    ['ヤマダ,ハナコ', 'ﾔﾏﾀﾞ ﾊﾅｺ'],
    ['ヤマダ、ハナコ', 'ﾔﾏﾀﾞ ﾊﾅｺ'],
    ['  ヤマダ   ハナコ  ', 'ﾔﾏﾀﾞ ﾊﾅｺ'],
    ['ﾔﾏﾀﾞ･ﾊﾅｺ', 'ﾔﾏﾀﾞ ﾊﾅｺ'],
    // rule 5: Latin upper-cased, full-width to half-width
    ['smith john', 'SMITH JOHN'],
    ['ＳＭＩＴＨ', 'SMITH'],
    ['１２３', '123'],
    ['ｻｲﾌ 0123', 'ｻｲﾌ 0123'],
    // rule 6: legal-entity words by position
    ['株式会社ヤマダショウジ', 'ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ'],
    ['ヤマダショウジ株式会社', 'ﾔﾏﾀﾞｼﾖｳｼﾞ(ｶ'],
    ['ヤマダ株式会社トウキョウシテン', 'ﾔﾏﾀﾞ(ｶ)ﾄｳｷﾖｳｼﾃﾝ'],
    ['有限会社サトウ', 'ﾕ)ｻﾄｳ'],
    ['サトウ有限会社', 'ｻﾄｳ(ﾕ'],
    ['合名会社サトウ', 'ﾒ)ｻﾄｳ'],
    ['合資会社サトウ', 'ｼ)ｻﾄｳ'],
    ['合同会社サトウ', 'ﾄﾞ)ｻﾄｳ'],
    ['医療法人サトウカイ', 'ｲ)ｻﾄｳｶｲ'],
    ['一般財団法人サトウ', 'ｻﾞｲ)ｻﾄｳ'],
    ['公益社団法人サトウ', 'ｼﾔ)ｻﾄｳ'],
    ['宗教法人サトウ', 'ｼﾕｳ)ｻﾄｳ'],
    ['学校法人サトウ', 'ｶﾞｸ)ｻﾄｳ'],
    ['社会福祉法人サトウ', 'ﾌｸ)ｻﾄｳ'],
    ['サトウ相互会社', 'ｻﾄｳ(ｿ'],
    ['更生保護法人サトウ', 'ﾎｺﾞ)ｻﾄｳ'],
    ['特定非営利活動法人サトウ', 'ﾄｸﾋ)ｻﾄｳ'],
    ['独立行政法人サトウ', 'ﾄﾞｸ)ｻﾄｳ'],
    ['地方独立行政法人サトウ', 'ﾁﾄﾞｸ)ｻﾄｳ'],
    ['弁護士法人サトウ', 'ﾍﾞﾝ)ｻﾄｳ'],
    ['司法書士法人サトウ', 'ｼﾎｳ)ｻﾄｳ'],
    ['行政書士法人サトウ', 'ｷﾞﾖ)ｻﾄｳ'],
    ['税理士法人サトウ', 'ｾﾞｲ)ｻﾄｳ'],
    ['社会保険労務士法人サトウ', 'ﾛｳﾑ)ｻﾄｳ'],
    ['国立大学法人サトウ', 'ﾀﾞｲ)ｻﾄｳ'],
    ['農事組合法人サトウ', 'ﾉｳ)ｻﾄｳ'],
    ['管理組合法人サトウ', 'ｶﾝﾘ)ｻﾄｳ'],
    ['中間法人サトウ', 'ﾁﾕｳ)ｻﾄｳ'],
    ['サトウ連合会', 'ｻﾄｳ(ﾚﾝ'],
    ['サトウ協同組合', 'ｻﾄｳ(ｷﾖｳｸﾐ'],
    ['かぶしきがいしゃ やまだ', 'ｶ)ﾔﾏﾀﾞ'],
    ['ﾔﾏﾀﾞｼﾖｳｼﾞ ｶﾌﾞｼｷｶﾞｲｼﾔ', 'ﾔﾏﾀﾞｼﾖｳｼﾞ(ｶ'],
    ['ヤマダ営業所', 'ﾔﾏﾀﾞ(ｴｲ'],
    ['ヤマダ出張所', 'ﾔﾏﾀﾞ(ｼﾕﾂ'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeZenginName(input)).toBe(expected);
  });

  it('is idempotent on any kana input', () => {
    const kana = fc.constantFrom(...'あいうえおかがきぎくぐけげこごさざしじすずせぜそぞただちぢっつづてでとどなにぬねのはばぱひびぴふぶぷへべぺほぼぽまみむめもゃやゅゆょよらりるれろわをんアイウエオカガキギクグケゲコゴサザシジスズセゼソゾタダチヂッツヅテデトドナニヌネノハバパヒビピフブプヘベペホボポマミムメモャヤュユョヨラリルレロワヲンヴー ・'.split(''));
    fc.assert(
      fc.property(fc.array(kana, { minLength: 1, maxLength: 20 }), (chars) => {
        const once = normalizeZenginName(chars.join(''));
        expect(normalizeZenginName(once)).toBe(once);
        if (once.length > 0 && once.length <= 30) expect(isValidZenginName(once)).toBe(true);
      }),
    );
  });
});

describe('isValidZenginName', () => {
  it.each([
    ['ﾔﾏﾀﾞ ﾊﾅｺ', true],
    ['ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ', true],
    ['SMITH JOHN', true],
    ['ﾔﾏﾀﾞ(ｶ', true],
    ['A.B-C/D', true],
    ['', false],
    ['ﾔﾏﾀﾞ ﾊﾅｺ'.repeat(4), false],
    ['ヤマダ', false],
    ['やまだ', false],
    ['ｷｬﾉﾝ', false],
    ['smith', false],
    ['ﾔﾏﾀﾞ・ﾊﾅｺ', false],
    ['山田', false],
  ])('%s → %s', (s, ok) => {
    expect(isValidZenginName(s)).toBe(ok);
  });
});

describe('compareKey', () => {
  it('drops spaces, optionally long vowels, and folds ぢ/づ', () => {
    expect(compareKey('ヤマダ ハナコ')).toBe('ﾔﾏﾀﾞﾊﾅｺ');
    expect(compareKey('オーノ', { dropLongVowel: true })).toBe('ｵﾉ');
    expect(compareKey('ちぢみ', { foldJiZu: true })).toBe('ﾁｼﾞﾐ');
    expect(compareKey('つづき', { foldJiZu: true })).toBe('ﾂｽﾞｷ');
  });
});
