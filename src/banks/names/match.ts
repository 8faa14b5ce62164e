import { compareKey, normalizeZenginName } from './normalize.ts';

export const DEFAULT_NAME_MATCH_THRESHOLD = 85;

export interface NameMatch {
  score: number;
  normalizedBank: string;
  normalizedWallet: string;
  reason: 'exact' | 'space_variant' | 'long_vowel_variant' | 'ji_di_variant' | 'order_swapped' | 'similar' | 'different';
}

/**
 * Scores the bank's holder name against the wallet's verified kana name, 0–100. Honest variants (a missing
 * space, ｵｵ/ｵ-/ｵ, ぢ/じ and づ/ず, family and given name swapped) score 95+; anything else is scored by
 * edit distance on family and given name separately (the weaker part decides), so one differing name (a maiden
 * name, a sibling, a name one kana longer) falls below the threshold. Jaro–Winkler is kept for reference but
 * rewards shared prefixes too much on names of three or four kana.
 */
export function scoreNameMatch(bankName: string, wallet: { familyNameKana: string; givenNameKana: string }): NameMatch {
  const normalizedBank = normalizeZenginName(bankName);
  const normalizedWallet = normalizeZenginName(`${wallet.familyNameKana} ${wallet.givenNameKana}`);
  const result = (score: number, reason: NameMatch['reason']): NameMatch => ({ score, normalizedBank, normalizedWallet, reason });
  if (normalizedBank === normalizedWallet) return result(100, 'exact');
  const family = wallet.familyNameKana;
  const given = wallet.givenNameKana;
  const bankKey = compareKey(bankName);
  if (bankKey === compareKey(`${family}${given}`)) return result(98, 'space_variant');
  const lv = { dropLongVowel: true };
  if (collapseVowels(compareKey(bankName, lv)) === collapseVowels(compareKey(`${family}${given}`, lv))) return result(96, 'long_vowel_variant');
  const jz = { dropLongVowel: true, foldJiZu: true };
  if (collapseVowels(compareKey(bankName, jz)) === collapseVowels(compareKey(`${family}${given}`, jz))) return result(95, 'ji_di_variant');
  if (compareKey(bankName, jz) === compareKey(`${given}${family}`, jz)) return result(95, 'order_swapped');
  // Otherwise: the weaker of the two name parts decides, so a wholly different given or family name fails.
  const parts = normalizedBank.split(' ');
  const fk = compareKey(family, jz);
  const gk = compareKey(given, jz);
  let best = 0;
  if (parts.length === 2) {
    const [b1, b2] = [compareKey(parts[0]!, jz), compareKey(parts[1]!, jz)];
    best = Math.max(Math.min(similarity(b1, fk), similarity(b2, gk)), Math.min(similarity(b1, gk), similarity(b2, fk)));
  } else {
    best = similarity(compareKey(bankName, jz), `${fk}${gk}`);
  }
  const score = Math.round(best * 100);
  return result(Math.min(score, 94), score >= DEFAULT_NAME_MATCH_THRESHOLD ? 'similar' : 'different');
}

const ROWS: Record<string, string> = {};
for (const [vowel, kana] of [
  ['ｱ', 'ｱｶｻﾀﾅﾊﾏﾔﾗﾜ'],
  ['ｲ', 'ｲｷｼﾁﾆﾋﾐﾘ'],
  ['ｳ', 'ｳｸｽﾂﾇﾌﾑﾕﾙ'],
  ['ｴ', 'ｴｹｾﾃﾈﾍﾒﾚ'],
  ['ｵ', 'ｵｺｿﾄﾉﾎﾓﾖﾛ'],
] as const) for (const k of kana) ROWS[k] = vowel;

/**
 * A long vowel is written ｵｵ, ｵｳ, ｵ- or not at all (ｻﾄｳ, ｻﾄ-, ｻﾄ): drop a vowel kana that only lengthens the
 * kana before it (same vowel, ｳ after an o-row kana, ｲ after an e-row kana) so the spellings meet.
 */
function collapseVowels(s: string): string {
  let out = '';
  let prevVowel: string | undefined;
  for (const ch of s) {
    if (ch === 'ﾞ' || ch === 'ﾟ') {
      out += ch;
      continue;
    }
    const lengthens = prevVowel !== undefined && (ch === prevVowel || (ch === 'ｳ' && prevVowel === 'ｵ') || (ch === 'ｲ' && prevVowel === 'ｴ'));
    if (lengthens) continue;
    out += ch;
    prevVowel = ROWS[ch];
  }
  return out;
}

export function jaroWinkler(a: string, b: string): number {
  if (a === b) return 1;
  if (a.length === 0 || b.length === 0) return 0;
  const window = Math.max(0, Math.floor(Math.max(a.length, b.length) / 2) - 1);
  const aMatch = new Array<boolean>(a.length).fill(false);
  const bMatch = new Array<boolean>(b.length).fill(false);
  let matches = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = Math.max(0, i - window); j < Math.min(b.length, i + window + 1); j++) {
      if (bMatch[j] || a[i] !== b[j]) continue;
      aMatch[i] = bMatch[j] = true;
      matches++;
      break;
    }
  }
  if (matches === 0) return 0;
  let t = 0;
  let k = 0;
  for (let i = 0; i < a.length; i++) {
    if (!aMatch[i]) continue;
    while (!bMatch[k]) k++;
    if (a[i] !== b[k]) t++;
    k++;
  }
  const jaro = (matches / a.length + matches / b.length + (matches - t / 2) / matches) / 3;
  let prefix = 0;
  while (prefix < 4 && a[prefix] === b[prefix]) prefix++;
  return jaro + prefix * 0.1 * (1 - jaro);
}

/** 1 − Levenshtein distance / longer length. */
export function similarity(a: string, b: string): number {
  const n = Math.max(a.length, b.length);
  return n === 0 ? 1 : 1 - levenshtein(a, b) / n;
}

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
