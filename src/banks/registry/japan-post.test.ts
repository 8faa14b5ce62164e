import { describe, expect, it } from 'vitest';
import { JAPAN_POST_BANK_CODE, JapanPostFormatError, japanPostToZengin } from './japan-post.ts';
import { findBank, findBranch } from './registry.ts';

describe('japanPostToZengin', () => {
  it.each([
    ['10530', '12345671', { branchCode: '058', accountType: 'ordinary', accountNumber: '1234567' }],
    ['10530', '1231', { branchCode: '058', accountType: 'ordinary', accountNumber: '0000123' }],
    ['10530', '11', { branchCode: '058', accountType: 'ordinary', accountNumber: '0000001' }],
    ['14090', '98765431', { branchCode: '408', accountType: 'ordinary', accountNumber: '9876543' }],
    ['00530', '123456', { branchCode: '059', accountType: 'current', accountNumber: '0123456' }],
    ['00530', '1234567', { branchCode: '059', accountType: 'current', accountNumber: '1234567' }],
    ['00100', '5', { branchCode: '019', accountType: 'current', accountNumber: '0000005' }],
  ])('記号 %s 番号 %s', (symbol, number, expected) => {
    const z = japanPostToZengin(symbol, number);
    expect(z).toEqual(expected);
    // The conversion is only useful if it lands on a branch the Zengin data (and so the bank network) knows.
    expect(findBranch(JAPAN_POST_BANK_CODE, z.branchCode), `9900-${z.branchCode}`).toBeDefined();
  });

  it('9900 is Japan Post Bank in the Zengin data', () => {
    expect(findBank(JAPAN_POST_BANK_CODE)?.name).toBe('ゆうちょ');
  });

  it.each([
    ['1053', '12345671', /記号 must be 5 digits/],
    ['105300', '12345671', /記号 must be 5 digits/],
    ['', '12345671', /記号 must be 5 digits/],
    ['1053a', '12345671', /not all digits/],
    ['１０５３０', '12345671', /not all digits/],
    [' 10530', '12345671', /記号 must be 5 digits/],
    ['20530', '12345671', /start with 1 .* or 0/],
    ['90530', '12345671', /start with 1 .* or 0/],
    ['10530', '', /番号 is empty/],
    ['10530', 'abc', /digits only/],
    ['10530', '1234-5671', /digits only/],
    ['10530', ' 12345671', /digits only/],
    ['10530', '12345672', /check digit 1/],
    ['10530', '10', /check digit 1/],
    ['10530', '1', /2 to 8 digits/],
    ['10530', '123456781', /2 to 8 digits/],
    ['00530', '12345678', /at most 7 digits/],
    ['00530', '', /番号 is empty/],
  ])('記号 %j 番号 %j is refused: %s', (symbol, number, message) => {
    let error: unknown;
    try {
      japanPostToZengin(symbol, number);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JapanPostFormatError);
    expect(error).toMatchObject({ name: 'JapanPostFormatError', code: 'invalid_account_number' });
    expect((error as Error).message).toMatch(message);
  });
});
