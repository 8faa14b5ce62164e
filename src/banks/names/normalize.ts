/**
 * Zengin account-holder names (docs/zengin.md). Banks return half-width katakana; people type hiragana, full-width
 * katakana, spaces and dots. Both sides are brought to one canonical half-width form before they are compared,
 * so every rule here exists to make two honest spellings of one name meet.
 */

export const ZENGIN_ACCOUNT_NAME_MAX_LENGTH = 30;
export const ZENGIN_REMITTER_NAME_MAX_LENGTH = 40;

// ---------------------------------------------------------------------------------------------------------
// Character tables. Written out rather than derived from a library: they are small and the rules are ours.

const FULL_BASE = 'アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン';
const HALF_BASE = 'ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜﾝ';
// Zengin has no small kana and some banks refuse ｦ; the archaic ヰ/ヱ have no half-width form at all.
const FULL_SPECIAL = 'ァィゥェォャュョッヮヵヶヲヰヱ';
const HALF_SPECIAL = 'ｱｲｳｴｵﾔﾕﾖﾂﾜｶｹｵｲｴ';

const VOICED_MARK = 'ﾞ';
const SEMI_VOICED_MARK = 'ﾟ';
const COMBINING_VOICED = '\u3099';
const COMBINING_SEMI_VOICED = '\u309A';

function zip(from: string, to: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const [i, c] of [...from].entries()) m.set(c, to[i] ?? c);
  return m;
}

/**
 * Full-width katakana → half-width. Voiced kana are split with NFD (ガ = カ + U+3099) so the table only needs
 * the plain kana, and ヴ/ヷ/ヸ/ヺ come out as ｳﾞ/ﾜﾞ/ｲﾞ/ｵﾞ without special cases.
 */
const KATAKANA_TO_HALF: ReadonlyMap<string, string> = (() => {
  const plain = new Map([...zip(FULL_BASE, HALF_BASE), ...zip(FULL_SPECIAL, HALF_SPECIAL)]);
  const table = new Map<string, string>();
  for (let code = 0x30a1; code <= 0x30fa; code++) {
    const ch = String.fromCharCode(code);
    const [base = '', mark] = [...ch.normalize('NFD')];
    const half = plain.get(base);
    if (half === undefined) continue;
    table.set(
      ch,
      half + (mark === COMBINING_VOICED ? VOICED_MARK : mark === COMBINING_SEMI_VOICED ? SEMI_VOICED_MARK : ''),
    );
  }
  table.set(COMBINING_VOICED, VOICED_MARK);
  table.set(COMBINING_SEMI_VOICED, SEMI_VOICED_MARK);
  return table;
})();

/** Every way people and banks write a long vowel or a dash; rule 3 makes them one symbol. */
const LONG_VOWEL_MARKS = new Set(['ー', 'ｰ', '-', '‐', '‑', '‒', '–', '—', '―', '−', '－', '﹣']);
export const LONG_VOWEL = '-';

/** Separators that are not Zengin characters but do separate words (rule 4), and brackets Zengin spells as (). */
const PUNCTUATION: ReadonlyMap<string, string> = new Map([
  ['・', ' '],
  ['、', ' '],
  [',', ' '],
  ['。', '.'],
  ['「', '('],
  ['」', ')'],
  // In JIS X 0201 (the Zengin code) 0x5C is the yen sign; it is the same character as the backslash.
  ['¥', '\\'],
]);

// ---------------------------------------------------------------------------------------------------------
// Legal-entity words (docs/zengin.md table) and branch words. Kanji forms are matched after NFKC, which also turns
// ㈱ into (株) and ㍿ into 株式会社; kana readings are matched in the canonical half-width form, so one
// spelling each suffices (small kana are already full-size there).

interface EntityWord {
  abbr: string;
  kanji: readonly string[];
  kana: readonly string[];
}

const ENTITY_WORDS: readonly EntityWord[] = [
  { abbr: 'ｶ', kanji: ['株式会社', '(株)'], kana: ['カブシキガイシャ', 'カブシキカイシャ'] },
  { abbr: 'ﾕ', kanji: ['有限会社', '(有)'], kana: ['ユウゲンガイシャ', 'ユウゲンカイシャ'] },
  { abbr: 'ﾒ', kanji: ['合名会社', '(名)'], kana: ['ゴウメイガイシャ', 'ゴウメイカイシャ'] },
  { abbr: 'ｼ', kanji: ['合資会社', '(資)'], kana: ['ゴウシガイシャ', 'ゴウシカイシャ'] },
  { abbr: 'ﾄﾞ', kanji: ['合同会社'], kana: ['ゴウドウガイシャ', 'ゴウドウカイシャ'] },
  { abbr: 'ｲ', kanji: ['医療法人', '(医)'], kana: ['イリョウホウジン'] },
  {
    abbr: 'ｻﾞｲ',
    kanji: ['一般財団法人', '公益財団法人', '財団法人', '(財)'],
    kana: ['イッパンザイダンホウジン', 'コウエキザイダンホウジン', 'ザイダンホウジン'],
  },
  {
    abbr: 'ｼﾔ',
    kanji: ['一般社団法人', '公益社団法人', '社団法人', '(社)'],
    kana: ['イッパンシャダンホウジン', 'コウエキシャダンホウジン', 'シャダンホウジン'],
  },
  { abbr: 'ｼﾕｳ', kanji: ['宗教法人', '(宗)'], kana: ['シュウキョウホウジン'] },
  { abbr: 'ｶﾞｸ', kanji: ['学校法人', '(学)'], kana: ['ガッコウホウジン'] },
  { abbr: 'ﾌｸ', kanji: ['社会福祉法人', '(福)'], kana: ['シャカイフクシホウジン'] },
  { abbr: 'ｿ', kanji: ['相互会社'], kana: ['ソウゴガイシャ', 'ソウゴカイシャ'] },
  { abbr: 'ﾎｺﾞ', kanji: ['更生保護法人'], kana: ['コウセイホゴホウジン'] },
  { abbr: 'ﾄｸﾋ', kanji: ['特定非営利活動法人', 'NPO法人'], kana: ['トクテイヒエイリカツドウホウジン'] },
  { abbr: 'ﾄﾞｸ', kanji: ['独立行政法人'], kana: ['ドクリツギョウセイホウジン'] },
  { abbr: 'ﾁﾄﾞｸ', kanji: ['地方独立行政法人'], kana: ['チホウドクリツギョウセイホウジン'] },
  { abbr: 'ﾍﾞﾝ', kanji: ['弁護士法人'], kana: ['ベンゴシホウジン'] },
  { abbr: 'ｼﾎｳ', kanji: ['司法書士法人'], kana: ['シホウショシホウジン'] },
  { abbr: 'ｷﾞﾖ', kanji: ['行政書士法人'], kana: ['ギョウセイショシホウジン'] },
  { abbr: 'ｾﾞｲ', kanji: ['税理士法人'], kana: ['ゼイリシホウジン'] },
  { abbr: 'ﾛｳﾑ', kanji: ['社会保険労務士法人'], kana: ['シャカイホケンロウムシホウジン'] },
  {
    abbr: 'ﾀﾞｲ',
    kanji: ['国立大学法人', '公立大学法人'],
    kana: ['コクリツダイガクホウジン', 'コウリツダイガクホウジン'],
  },
  { abbr: 'ﾉｳ', kanji: ['農事組合法人'], kana: ['ノウジクミアイホウジン'] },
  { abbr: 'ｶﾝﾘ', kanji: ['管理組合法人'], kana: ['カンリクミアイホウジン'] },
  { abbr: 'ﾁﾕｳ', kanji: ['中間法人'], kana: ['チュウカンホウジン'] },
  { abbr: 'ﾚﾝ', kanji: ['連合会'], kana: ['レンゴウカイ'] },
  { abbr: 'ｷﾖｳｸﾐ', kanji: ['協同組合'], kana: ['キョウドウクミアイ'] },
  // Branch words follow the same positional bracketing; at the end (the usual place) they read (ｴｲ and (ｼﾕﾂ.
  { abbr: 'ｴｲ', kanji: ['営業所'], kana: ['エイギョウショ', 'エイギョウジョ'] },
  { abbr: 'ｼﾕﾂ', kanji: ['出張所'], kana: ['シュッチョウショ', 'シュッチョウジョ'] },
];

/** Longest first, so 地方独立行政法人 wins over 独立行政法人 and 一般財団法人 over 財団法人. */
function byLongestWord(words: Array<[string, string]>): ReadonlyArray<readonly [string, string]> {
  return words.sort((a, b) => b[0].length - a[0].length);
}

const KANJI_ENTITIES = byLongestWord(ENTITY_WORDS.flatMap((e) => e.kanji.map((w): [string, string] => [w, e.abbr])));
const KANA_ENTITIES = byLongestWord(
  ENTITY_WORDS.flatMap((e) => e.kana.map((w): [string, string] => [toZenginKana(w), e.abbr])),
);

/** Every legal-entity and branch abbreviation the normaliser can emit (for callers that want to detect one). */
export const ENTITY_ABBREVIATIONS: readonly string[] = ENTITY_WORDS.map((e) => e.abbr);

// ---------------------------------------------------------------------------------------------------------
// The pipeline.

/**
 * The canonical Zengin form of a name (docs/zengin.md rules 1–6). Idempotent. Characters Zengin cannot carry
 * (kanji, symbols) are kept, not dropped, so that `isValidZenginName` can report them.
 */
export function normalizeZenginName(input: string): string {
  const prepared = prepare(input);
  const withKanjiEntities = splitOnWords([{ text: prepared }], KANJI_ENTITIES);
  const halfWidth = withKanjiEntities.map((seg) => ('text' in seg ? { text: toZenginKana(seg.text) } : seg));
  return tidy(render(splitOnWords(halfWidth, KANA_ENTITIES)));
}

/**
 * Everything that is not kana → half-width: NFKC (full-width Latin/digits, half-width kana recomposed to
 * full-width so there is one kana alphabet to handle), hiragana → katakana, long vowels, punctuation, case.
 */
function prepare(input: string): string {
  // NFKC would turn a spacing ゛/゜ into a space plus a combining mark; as combining marks they compose instead.
  const marks = input.replaceAll('゛', COMBINING_VOICED).replaceAll('゜', COMBINING_SEMI_VOICED);
  let out = '';
  for (const ch of marks.normalize('NFKC')) out += prepareChar(ch);
  return stripSpacesAroundBrackets(collapseSpaces(expandIterationMarks(out)));
}

function prepareChar(ch: string): string {
  const code = ch.charCodeAt(0);
  // Hiragana (including ゔ ゕ ゖ and the iteration marks ゝ ゞ) sit 0x60 below their katakana.
  if ((code >= 0x3041 && code <= 0x3096) || code === 0x309d || code === 0x309e) return String.fromCharCode(code + 0x60);
  if (LONG_VOWEL_MARKS.has(ch)) return LONG_VOWEL;
  const punct = PUNCTUATION.get(ch);
  if (punct !== undefined) return punct;
  if (/\s/.test(ch)) return ' ';
  if (ch >= 'a' && ch <= 'z') return ch.toUpperCase();
  return ch;
}

/** ヽ/ヾ repeat the kana before them (ササキ may be typed サヽキ); left alone when no kana precedes them. */
function expandIterationMarks(s: string): string {
  let out = '';
  let previousKana: string | undefined;
  for (const ch of s) {
    if ((ch === 'ヽ' || ch === 'ヾ') && previousKana !== undefined) {
      const base = previousKana.normalize('NFD').charAt(0);
      const voiced = (base + COMBINING_VOICED).normalize('NFC');
      previousKana = ch === 'ヾ' && voiced.length === 1 ? voiced : base;
      out += previousKana;
      continue;
    }
    // The mark may follow an expanded kana (ブゝ゛), where NFKC could not compose it; compose it here.
    const composed = previousKana !== undefined ? (previousKana + ch).normalize('NFC') : '';
    if (composed.length === 1) {
      out = out.slice(0, -1) + composed;
      previousKana = composed;
      continue;
    }
    out += ch;
    // A voicing mark that composes with nothing (ヵ゙) stays with its kana: a mark after it repeats that kana, as
    // the second pass will see it once the pair is half-width (ｶﾞ).
    if (ch === COMBINING_VOICED || ch === COMBINING_SEMI_VOICED) continue;
    // Only the character right before counts: after a bracket or a kanji the mark has nothing to repeat.
    previousKana = ch >= '\u30a1' && ch <= '\u30fa' ? ch : undefined;
  }
  return out;
}

/** Full-width katakana → half-width, small kana full-size, ｦ/ヰ/ヱ/ヴ per rule 4. Other characters pass through. */
function toZenginKana(s: string): string {
  let out = '';
  for (const ch of s) out += KATAKANA_TO_HALF.get(ch) ?? ch;
  return out;
}

type Segment = { text: string } | { abbr: string };

/** Cuts every occurrence of the given words out of the text segments, leaving an entity segment in its place. */
function splitOnWords(segments: readonly Segment[], words: ReadonlyArray<readonly [string, string]>): Segment[] {
  let out: Segment[] = [...segments];
  for (const [word, abbr] of words) {
    out = out.flatMap((seg) => {
      if (!('text' in seg) || !seg.text.includes(word)) return [seg];
      const pieces = seg.text.split(word);
      return pieces.flatMap((text, i): Segment[] => (i === 0 ? [{ text }] : [{ abbr }, { text }]));
    });
  }
  return out;
}

const isBlank = (seg: Segment): boolean => 'text' in seg && seg.text.trim() === '';

/** Rule 6: the abbreviation's brackets depend on its position: ｶ)NAME, NAME(ｶ, A(ｶ)B. */
function render(segments: readonly Segment[]): string {
  const unwrapped = unwrapBracketedEntities(segments);
  return unwrapped
    .map((seg, i) => {
      if ('text' in seg) return seg.text;
      const before = unwrapped.slice(0, i).some((s) => !isBlank(s));
      const after = unwrapped.slice(i + 1).some((s) => !isBlank(s));
      if (before && after) return `(${seg.abbr})`;
      return before ? `(${seg.abbr}` : `${seg.abbr})`;
    })
    .join('');
}

/** ヤマダ(株式会社) already brackets the word; keeping those brackets as well would give ﾔﾏﾀﾞ((ｶ)). */
function unwrapBracketedEntities(segments: readonly Segment[]): Segment[] {
  const out = segments.map((seg) => ({ ...seg }));
  out.forEach((seg, i) => {
    const prev = out[i - 1];
    const next = out[i + 1];
    if ('text' in seg || !prev || !next || !('text' in prev) || !('text' in next)) return;
    const open = prev.text.trimEnd();
    const close = next.text.trimStart();
    if (!open.endsWith('(') || !close.startsWith(')')) return;
    prev.text = open.slice(0, -1);
    next.text = close.slice(1);
  });
  return out;
}

function collapseSpaces(s: string): string {
  return s.replace(/ {2,}/g, ' ');
}

/** Banks write ｶ)ﾔﾏﾀﾞ, never ｶ) ﾔﾏﾀﾞ: a space beside a bracket carries nothing and would block equality. */
function stripSpacesAroundBrackets(s: string): string {
  return s.replace(/ ?([()]) ?/g, '$1');
}

function tidy(s: string): string {
  return stripSpacesAroundBrackets(collapseSpaces(s)).trim();
}

// ---------------------------------------------------------------------------------------------------------
// Validation.

export interface ZenginNameRules {
  /** 30 for an account name (the default), 40 for a remitter name. */
  maxLength?: number;
  /** `/` and `\` are accepted by some banks only; off by default so a name is valid everywhere. */
  allowSlashes?: boolean;
}

// ｦ (U+FF66) and the small kana (U+FF67–FF6F) lie below ｱ (U+FF71), so the range ｱ-ﾝ excludes them.
const ZENGIN_CHARS = /^[ｱ-ﾝﾞﾟA-Z0-9 ().-]*$/;
const ZENGIN_CHARS_WITH_SLASHES = /^[ｱ-ﾝﾞﾟA-Z0-9 ().\-/\\]*$/;
const TAKES_VOICED = new Set('ｳｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾊﾋﾌﾍﾎﾜ');
const TAKES_SEMI_VOICED = new Set('ﾊﾋﾌﾍﾎ');

/**
 * A name Zengin accepts as it is: only Zengin characters (ﾞ and ﾟ count as one character each), not blank,
 * within the length limit, and every ﾞ/ﾟ right after a kana that can carry it.
 */
export function isValidZenginName(s: string, rules: ZenginNameRules = {}): boolean {
  const max = rules.maxLength ?? ZENGIN_ACCOUNT_NAME_MAX_LENGTH;
  const chars = rules.allowSlashes ? ZENGIN_CHARS_WITH_SLASHES : ZENGIN_CHARS;
  return s.trim() !== '' && s.length <= max && chars.test(s) && marksFollowTheirKana(s);
}

function marksFollowTheirKana(s: string): boolean {
  const chars = [...s];
  return chars.every((ch, i) => {
    const prev = chars[i - 1] ?? '';
    if (ch === VOICED_MARK) return TAKES_VOICED.has(prev);
    if (ch === SEMI_VOICED_MARK) return TAKES_SEMI_VOICED.has(prev);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------------------
// Compare keys: coarser forms of the canonical name, used by the matcher to recognise honest variants.

export interface CompareKeyOptions {
  /**
   * `keep` (default) leaves `-`; `drop` removes the mark (banks that omit it); `collapse` also removes a vowel
   * kana that only lengthens the kana before it, so ｵｵﾀ, ｵ-ﾀ and ｵﾀ (and ｻﾄｳ/ｻﾄ-/ｻﾄ) share one key.
   */
  longVowel?: 'keep' | 'drop' | 'collapse';
  /** ぢ/づ are spelled じ/ず by most people: fold ﾁﾞ→ｼﾞ and ﾂﾞ→ｽﾞ. */
  foldJiZu?: boolean;
}

/** The key of any name: normalised, spaces removed, then the chosen foldings. */
export function compareKey(s: string, options: CompareKeyOptions = {}): string {
  return compareKeyOfNormalized(normalizeZenginName(s), options);
}

/** `compareKey` for a string that is already canonical (skips normalising again). */
export function compareKeyOfNormalized(normalized: string, options: CompareKeyOptions = {}): string {
  let key = normalized.replaceAll(' ', '');
  if (options.longVowel === 'drop') key = key.replaceAll(LONG_VOWEL, '');
  if (options.longVowel === 'collapse') key = collapseLongVowels(key);
  if (options.foldJiZu)
    key = key.replaceAll(`ﾁ${VOICED_MARK}`, `ｼ${VOICED_MARK}`).replaceAll(`ﾂ${VOICED_MARK}`, `ｽ${VOICED_MARK}`);
  return key;
}

const VOWEL_OF: ReadonlyMap<string, string> = (() => {
  const rows: Array<[string, string]> = [
    ['ｱ', 'ｱｶｻﾀﾅﾊﾏﾔﾗﾜ'],
    ['ｲ', 'ｲｷｼﾁﾆﾋﾐﾘ'],
    ['ｳ', 'ｳｸｽﾂﾇﾌﾑﾕﾙ'],
    ['ｴ', 'ｴｹｾﾃﾈﾍﾒﾚ'],
    ['ｵ', 'ｵｺｿﾄﾉﾎﾓﾖﾛ'],
  ];
  return new Map(rows.flatMap(([vowel, kana]) => [...kana].map((k): [string, string] => [k, vowel])));
})();

/** A vowel kana lengthens the kana before it when it repeats its vowel, or is ｳ after o-row, or ｲ after e-row. */
function lengthens(vowelKana: string, previousVowel: string | undefined): boolean {
  if (previousVowel === undefined || !'ｱｲｳｴｵ'.includes(vowelKana)) return false;
  return (
    vowelKana === previousVowel ||
    (vowelKana === 'ｳ' && previousVowel === 'ｵ') ||
    (vowelKana === 'ｲ' && previousVowel === 'ｴ')
  );
}

function collapseLongVowels(key: string): string {
  let out = '';
  let previousVowel: string | undefined;
  for (const ch of key) {
    if (ch === LONG_VOWEL || lengthens(ch, previousVowel)) continue;
    out += ch;
    // A dakuten does not change the vowel (ｺﾞ is still o-row); anything without a vowel (ﾝ, A, 1) ends the run.
    if (ch !== VOICED_MARK && ch !== SEMI_VOICED_MARK) previousVowel = VOWEL_OF.get(ch);
  }
  return out;
}
