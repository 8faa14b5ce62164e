/**
 * Zengin account-holder names (ZENGIN.md): banks return half-width katakana; people type full-width kana,
 * hiragana, spaces and dots. Both sides are brought to one canonical half-width form before comparing.
 */
const FULL_TO_HALF: Record<string, string> = {};
const half = 'ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝ';
const full = 'アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン';
for (let i = 0; i < full.length; i++) FULL_TO_HALF[full[i]!] = half[i]!;
const voiced = 'ガギグゲゴザジズゼゾダヂヅデドバビブベボ';
const voicedBase = 'カキクケコサシスセソタチツテトハヒフヘホ';
for (let i = 0; i < voiced.length; i++) FULL_TO_HALF[voiced[i]!] = `${FULL_TO_HALF[voicedBase[i]!]}ﾞ`;
const semi = 'パピプペポ';
const semiBase = 'ハヒフヘホ';
for (let i = 0; i < semi.length; i++) FULL_TO_HALF[semi[i]!] = `${FULL_TO_HALF[semiBase[i]!]}ﾟ`;
Object.assign(FULL_TO_HALF, { ヴ: 'ｳﾞ', ヰ: 'ｲ', ヱ: 'ｴ', ヲ: 'ｵ', ァ: 'ｱ', ィ: 'ｲ', ゥ: 'ｳ', ェ: 'ｴ', ォ: 'ｵ', ャ: 'ﾔ', ュ: 'ﾕ', ョ: 'ﾖ', ッ: 'ﾂ', ヮ: 'ﾜ', ヵ: 'ｶ', ヶ: 'ｹ', ー: '-', '・': ' ', '、': ' ', '，': ' ', ',': ' ', '゛': 'ﾞ', '゜': 'ﾟ' });
// Half-width small kana and ｦ are written full-size (rules 2 and 4).
const HALF_FIX: Record<string, string> = { ｧ: 'ｱ', ｨ: 'ｲ', ｩ: 'ｳ', ｪ: 'ｴ', ｫ: 'ｵ', ｬ: 'ﾔ', ｭ: 'ﾕ', ｮ: 'ﾖ', ｯ: 'ﾂ', ｦ: 'ｵ', ｰ: '-', '･': ' ', '｡': '.', '｢': '(', '｣': ')' };

/** Legal-entity words and their Zengin abbreviations (ZENGIN.md table), longest first so 地方独立行政法人 wins over 独立行政法人. */
const ENTITIES: Array<[string, string]> = (
  [
    ['特定非営利活動法人', 'ﾄｸﾋ'], ['社会保険労務士法人', 'ﾛｳﾑ'], ['地方独立行政法人', 'ﾁﾄﾞｸ'], ['独立行政法人', 'ﾄﾞｸ'], ['社会福祉法人', 'ﾌｸ'],
    ['国立大学法人', 'ﾀﾞｲ'], ['公立大学法人', 'ﾀﾞｲ'], ['一般財団法人', 'ｻﾞｲ'], ['公益財団法人', 'ｻﾞｲ'], ['一般社団法人', 'ｼﾔ'], ['公益社団法人', 'ｼﾔ'],
    ['更生保護法人', 'ﾎｺﾞ'], ['行政書士法人', 'ｷﾞﾖ'], ['司法書士法人', 'ｼﾎｳ'], ['弁護士法人', 'ﾍﾞﾝ'], ['税理士法人', 'ｾﾞｲ'], ['農事組合法人', 'ﾉｳ'],
    ['管理組合法人', 'ｶﾝﾘ'], ['株式会社', 'ｶ'], ['有限会社', 'ﾕ'], ['合名会社', 'ﾒ'], ['合資会社', 'ｼ'], ['合同会社', 'ﾄﾞ'], ['医療法人', 'ｲ'],
    ['財団法人', 'ｻﾞｲ'], ['社団法人', 'ｼﾔ'], ['宗教法人', 'ｼﾕｳ'], ['学校法人', 'ｶﾞｸ'], ['相互会社', 'ｿ'], ['中間法人', 'ﾁﾕｳ'], ['協同組合', 'ｷﾖｳｸﾐ'],
    ['連合会', 'ﾚﾝ'], ['カブシキガイシャ', 'ｶ'], ['カブシキカイシャ', 'ｶ'], ['カブシキガイシヤ', 'ｶ'], ['カブシキカイシヤ', 'ｶ'], ['ユウゲンガイシャ', 'ﾕ'], ['ゴウドウガイシャ', 'ﾄﾞ'],
  ] as Array<[string, string]>
).sort((a, b) => b[0].length - a[0].length);
const BRANCH_WORDS: Array<[string, string]> = [['営業所', '(ｴｲ'], ['出張所', '(ｼﾕﾂ']];

const LONG_VOWELS = /[ｰ\-‐－—―ー−]/g;

function toHalfWidth(s: string): string {
  let out = '';
  for (const ch of s) {
    let c = ch;
    const code = c.charCodeAt(0);
    if (code >= 0x3041 && code <= 0x3096) c = String.fromCharCode(code + 0x60); // hiragana → katakana
    if (c === 'ゔ') c = 'ヴ';
    out += FULL_TO_HALF[c] ?? HALF_FIX[c] ?? c;
  }
  return out;
}

/** Replaces legal-entity words by their abbreviation, bracketed by position: start ｶ)X, end X(ｶ, middle X(ｶ)Y. */
function abbreviateEntities(s: string): string {
  for (const [word, abbr] of ENTITIES) {
    const at = s.indexOf(word);
    if (at < 0) continue;
    const before = s.slice(0, at).trim();
    const after = s.slice(at + word.length).trim();
    const mark = before === '' ? `${abbr})` : after === '' ? `(${abbr}` : `(${abbr})`;
    return `${before}${mark}${after}`;
  }
  return s;
}

export function normalizeZenginName(input: string): string {
  let s = input.normalize('NFKC');
  // NFKC turns half-width kana into full-width and full-width ASCII into ASCII; entity words are matched on that.
  for (const [w, abbr] of BRANCH_WORDS) s = s.replaceAll(w, abbr);
  s = abbreviateEntities(toFullKatakanaForEntities(s));
  s = toHalfWidth(s).toUpperCase();
  s = s.replace(LONG_VOWELS, '-').replace(/\s+/g, ' ').trim();
  return s;
}

/** Entity words may be typed in hiragana; compare them in katakana. */
function toFullKatakanaForEntities(s: string): string {
  return s.replace(/[\u3041-\u3096]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0x60));
}

const ALLOWED = /^[ｱ-ﾝﾞﾟA-Z0-9 ().\-/\\]*$/;

/** Only Zengin characters (ZENGIN.md), at most 30 of them (ﾞ and ﾟ count as one each). */
export function isValidZenginName(s: string): boolean {
  return s.length > 0 && s.length <= 30 && ALLOWED.test(s);
}

/** Forms compared by the matcher: spaces and long-vowel marks removed, ぢ/づ folded into じ/ず. */
export function compareKey(s: string, opts: { dropLongVowel?: boolean; foldJiZu?: boolean } = {}): string {
  let k = normalizeZenginName(s).replace(/ /g, '');
  if (opts.dropLongVowel) k = k.replace(/-/g, '');
  if (opts.foldJiZu) k = k.replace(/ﾁﾞ/g, 'ｼﾞ').replace(/ﾂﾞ/g, 'ｽﾞ');
  return k;
}
