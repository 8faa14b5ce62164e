import { compareKeyOfNormalized, normalizeZenginName } from './normalize.ts';
import type { CompareKeyOptions } from './normalize.ts';

/**
 * Scores at or above pass. Every honest variant scores 95+, and a one-kana difference in any name part of up
 * to six kana scores at most 83, so a sibling (ﾊﾅｺ/ﾊﾙｺ), a maiden name or a different given name fails.
 */
export const DEFAULT_NAME_MATCH_THRESHOLD = 85;

export type NameMatchReason =
  | 'exact'
  | 'space_variant'
  | 'long_vowel_variant'
  | 'ji_di_variant'
  | 'order_swapped'
  | 'similar'
  | 'different';

export interface NameMatch {
  /** Integer 0–100. */
  score: number;
  normalizedBank: string;
  normalizedWallet: string;
  reason: NameMatchReason;
}

export interface WalletName {
  familyNameKana: string;
  givenNameKana: string;
}

/**
 * The honest variants, finest first. Each level compares coarser keys than the one before, so the first level
 * at which the names meet says how far apart they were.
 */
const VARIANT_LEVELS: ReadonlyArray<{ reason: NameMatchReason; score: number; key: CompareKeyOptions }> = [
  { reason: 'space_variant', score: 98, key: {} },
  { reason: 'long_vowel_variant', score: 96, key: { longVowel: 'collapse' } },
  { reason: 'ji_di_variant', score: 95, key: { longVowel: 'collapse', foldJiZu: true } },
];
const ORDER_SWAPPED_SCORE = 95;
/** The coarsest key: what is left to differ once every honest variant is forgiven. */
const COARSEST_KEY: CompareKeyOptions = { longVowel: 'collapse', foldJiZu: true };
/** Similarity never reaches the variant scores: a match by similarity ranks below any explained one. */
const SIMILAR_SCORE_CAP = 94;
/** Zengin names are at most 40 characters; anything far longer is not a name and is not worth a quadratic search. */
const MAX_COMPARED_LENGTH = 100;

/**
 * Scores the bank's account-holder name against the wallet's verified kana name. Equal canonical forms score
 * 100; the honest variants of docs/zengin.md (a missing or moved space, ｵｵ/ｵ-/ｵ, ぢ/じ and づ/ず, family and given
 * name swapped) score 95–98; anything else scores the edit similarity of the weaker name part, capped at 94.
 */
export function scoreNameMatch(bankName: string, wallet: WalletName): NameMatch {
  const normalizedBank = normalizeZenginName(bankName);
  const walletParts = [wallet.familyNameKana, wallet.givenNameKana].map(normalizeZenginName).filter((p) => p !== '');
  const normalizedWallet = walletParts.join(' ');
  const result = (score: number, reason: NameMatchReason): NameMatch => ({
    score,
    normalizedBank,
    normalizedWallet,
    reason,
  });

  if (normalizedBank === '' || normalizedWallet === '') return result(0, 'different');
  if (normalizedBank === normalizedWallet) return result(100, 'exact');
  if (normalizedBank.length > MAX_COMPARED_LENGTH || normalizedWallet.length > MAX_COMPARED_LENGTH)
    return result(0, 'different');

  const bankSplits = splitsLike(normalizedBank, walletParts.length);
  const orders = walletParts.length === 2 ? [walletParts, [...walletParts].reverse()] : [walletParts];
  for (const level of VARIANT_LEVELS) {
    if (meetsInOrder(bankSplits, orders[0] ?? [], level.key)) return result(level.score, level.reason);
  }
  const swapped = orders[1];
  if (swapped && VARIANT_LEVELS.some((level) => meetsInOrder(bankSplits, swapped, level.key)))
    return result(ORDER_SWAPPED_SCORE, 'order_swapped');

  const score = Math.min(SIMILAR_SCORE_CAP, Math.round(100 * bestSimilarity(bankSplits, orders)));
  return result(score, score >= DEFAULT_NAME_MATCH_THRESHOLD ? 'similar' : 'different');
}

/**
 * The bank name cut into as many parts as the wallet name has, at every possible place: banks store the name
 * with or without the space, so the bank's own space is not trusted to sit between family and given name.
 */
function splitsLike(normalizedBank: string, parts: number): string[][] {
  const chars = [...normalizedBank.replaceAll(' ', '')];
  if (parts < 2) return [[chars.join('')]];
  const splits: string[][] = [];
  for (let i = 1; i < chars.length; i++) {
    // A dakuten belongs to the kana before it: ｼ|ﾞﾛｳ is not a way to write a name.
    if (chars[i] === 'ﾞ' || chars[i] === 'ﾟ') continue;
    splits.push([chars.slice(0, i).join(''), chars.slice(i).join('')]);
  }
  return splits;
}

/** Part by part, so a long vowel is never collapsed across the boundary (ｻﾄｳ ｵｻﾑ must not meet ｻﾄｳ ｻﾑ). */
function meetsInOrder(
  bankSplits: readonly string[][],
  walletParts: readonly string[],
  key: CompareKeyOptions,
): boolean {
  const walletKeys = walletParts.map((p) => compareKeyOfNormalized(p, key));
  return bankSplits.some((split) => split.every((part, i) => compareKeyOfNormalized(part, key) === walletKeys[i]));
}

/** The best split and order, judged by its weakest part: one wholly different name part sinks the match. */
function bestSimilarity(bankSplits: readonly string[][], orders: readonly string[][]): number {
  let best = 0;
  for (const order of orders) {
    const walletKeys = order.map((p) => compareKeyOfNormalized(p, COARSEST_KEY));
    for (const split of bankSplits) {
      const weakest = Math.min(
        ...split.map((part, i) => similarity(compareKeyOfNormalized(part, COARSEST_KEY), walletKeys[i] ?? '')),
      );
      best = Math.max(best, weakest);
    }
  }
  return best;
}

/** 1 − edit distance / longer length: one changed kana in ﾊﾅｺ leaves 0.67, in a seven-kana name 0.86. */
function similarity(a: string, b: string): number {
  const longer = Math.max(a.length, b.length);
  return longer === 0 ? 1 : 1 - levenshtein(a, b) / longer;
}

/**
 * Edit distance (insert, delete, substitute) counted in Zengin characters, so a dropped dakuten costs one.
 * Chosen over Jaro–Winkler, which rewards a shared prefix so much that ｻｸﾗ vs ｻｸﾗｺ scores 94 on short names.
 */
export function levenshtein(a: string, b: string): number {
  const bs = [...b];
  let previous = Array.from({ length: bs.length + 1 }, (_, j) => j);
  for (const [i, ca] of [...a].entries()) {
    const current = [i + 1];
    for (const [j, cb] of bs.entries()) {
      current.push(
        Math.min((previous[j + 1] ?? 0) + 1, (current[j] ?? 0) + 1, (previous[j] ?? 0) + (ca === cb ? 0 : 1)),
      );
    }
    previous = current;
  }
  return previous[bs.length] ?? 0;
}
