/** A Japan Post Bank 記号・番号 that cannot be turned into a Zengin branch and account. */
export class JapanPostFormatError extends Error {
  override readonly name = 'JapanPostFormatError';
  readonly code = 'invalid_account_number' as const;
}

/**
 * Japan Post Bank (9900) customers know their account as a 5-digit symbol and a number (ZENGIN.md):
 * symbol 1xxxx (通常貯金, ordinary): branch = digits 2–3 + '8', account = the number (up to 8 digits, ending in
 * the check digit 1) without its last digit, left-padded to 7; symbol 0xxxx (振替口座, current): branch =
 * digits 2–3 + '9', account = the number left-padded to 7.
 */
export function japanPostToZengin(symbol: string, number: string): { branchCode: string; accountType: 'ordinary' | 'current'; accountNumber: string } {
  if (!/^[01]\d{4}$/.test(symbol)) throw new JapanPostFormatError('記号 (jpSymbol) must be 5 digits starting with 0 or 1');
  if (!/^\d{1,8}$/.test(number)) throw new JapanPostFormatError('番号 (jpNumber) must be 1 to 8 digits');
  const branch3 = symbol.slice(1, 3);
  if (symbol.startsWith('1')) {
    if (number.length < 2) throw new JapanPostFormatError('番号 (jpNumber) is too short');
    if (!number.endsWith('1')) throw new JapanPostFormatError('番号 (jpNumber) of an ordinary account ends in the check digit 1');
    return { branchCode: `${branch3}8`, accountType: 'ordinary', accountNumber: number.slice(0, -1).padStart(7, '0') };
  }
  if (number.length > 7) throw new JapanPostFormatError('番号 (jpNumber) of a 振替口座 has at most 7 digits');
  return { branchCode: `${branch3}9`, accountType: 'current', accountNumber: number.padStart(7, '0') };
}
