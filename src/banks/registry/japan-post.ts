/** Japan Post Bank's Zengin bank code: the only bank whose customers know their account by 記号・番号. */
export const JAPAN_POST_BANK_CODE = '9900';

export type JapanPostZenginAccount = { branchCode: string; accountType: 'ordinary' | 'current'; accountNumber: string };

/**
 * A 記号・番号 that cannot be turned into a Zengin branch and account. The code is the API error the linking
 * service answers with, so callers can map it without string-matching the message.
 */
export class JapanPostFormatError extends Error {
  override readonly name = 'JapanPostFormatError';
  readonly code = 'invalid_account_number' as const;
}

const ZENGIN_ACCOUNT_DIGITS = 7;
/** An ordinary account's 番号 is the 7-digit account plus one check digit. */
const ORDINARY_NUMBER_MAX_DIGITS = ZENGIN_ACCOUNT_DIGITS + 1;
const ORDINARY_CHECK_DIGIT = '1';

function checkSymbol(symbol: string): 'ordinary' | 'current' {
  if (!/^\d{5}$/.test(symbol))
    throw new JapanPostFormatError(
      `記号 must be 5 digits (got ${symbol.length} characters${/^\d*$/.test(symbol) ? '' : ', not all digits'})`,
    );
  if (symbol.startsWith('1')) return 'ordinary';
  if (symbol.startsWith('0')) return 'current';
  throw new JapanPostFormatError('記号 must start with 1 (通常貯金) or 0 (振替口座)');
}

function checkDigits(number: string): void {
  if (!/^\d+$/.test(number))
    throw new JapanPostFormatError(number === '' ? '番号 is empty' : '番号 must be digits only');
}

/** The number without its check digit: the check digit is part of what customers see, not of the Zengin account. */
function ordinaryAccount(number: string): string {
  if (number.length < 2 || number.length > ORDINARY_NUMBER_MAX_DIGITS) {
    throw new JapanPostFormatError(
      `番号 of a 通常貯金 account must be 2 to ${ORDINARY_NUMBER_MAX_DIGITS} digits including the check digit (got ${number.length})`,
    );
  }
  if (!number.endsWith(ORDINARY_CHECK_DIGIT))
    throw new JapanPostFormatError(`番号 of a 通常貯金 account ends in the check digit ${ORDINARY_CHECK_DIGIT}`);
  return number.slice(0, -1).padStart(ZENGIN_ACCOUNT_DIGITS, '0');
}

/** A 振替口座 number has no check digit, so it must already fit the 7 Zengin digits. */
function currentAccount(number: string): string {
  if (number.length > ZENGIN_ACCOUNT_DIGITS)
    throw new JapanPostFormatError(
      `番号 of a 振替口座 has at most ${ZENGIN_ACCOUNT_DIGITS} digits (got ${number.length})`,
    );
  return number.padStart(ZENGIN_ACCOUNT_DIGITS, '0');
}

/**
 * 記号・番号 → Zengin branch and account (docs/zengin.md): 記号 1xxxx is 通常貯金 (ordinary), branch = its 2nd–3rd
 * digits + '8'; 記号 0xxxx is 振替口座 (current), branch = 2nd–3rd digits + '9'. Input is taken exactly as given
 * (no trimming or full-width digits): the API contract is digits, and guessing here would hide client bugs.
 * Whether the branch exists is the caller's check (findBranch('9900', …)); this function is pure arithmetic.
 */
export function japanPostToZengin(symbol: string, number: string): JapanPostZenginAccount {
  const accountType = checkSymbol(symbol);
  checkDigits(number);
  const prefix = symbol.slice(1, 3);
  return accountType === 'ordinary'
    ? { branchCode: `${prefix}8`, accountType, accountNumber: ordinaryAccount(number) }
    : { branchCode: `${prefix}9`, accountType, accountNumber: currentAccount(number) };
}
