import { describe, expect, it } from 'vitest';
import { findParticipatingBank, PARTICIPATING_BANKS } from './participating.ts';
import { findBank, listBranches } from './registry.ts';

const EXPECTED_CODES =
  '0001 0009 9900 0040 0174 0161 0576 0183 0152 0163 0158 0157 0149 0125 0153 0150 0512 0035 0164 0154 0134 0135 0168 0126 0166 0162 0190 0143 0182 0173 0169 0177 0501 0117 0187'.split(
    ' ',
  );

describe('PARTICIPATING_BANKS', () => {
  it('is exactly the 35 banks of the 2020 service, once each', () => {
    expect(PARTICIPATING_BANKS.map((b) => b.code)).toEqual(EXPECTED_CODES);
    expect(new Set(EXPECTED_CODES).size).toBe(35);
  });

  it.each(EXPECTED_CODES)('%s exists in the Zengin data and has branches', (code) => {
    expect(
      findBank(code),
      `bank ${code} missing from zengin-code: merged away? note it in participating.ts`,
    ).toBeDefined();
    expect(listBranches(code)?.length ?? 0).toBeGreaterThan(0);
  });

  it.each([
    ['0001', 'otp'],
    ['0009', 'app'],
    ['0040', 'app'],
    ['9900', 'otp'],
    ['0174', 'legacy_pin'],
    ['0161', 'legacy_pin'],
    ['0576', 'legacy_pin'],
    ['0183', 'legacy_pin'],
    ['0152', 'legacy_pin'],
    ['0187', 'otp'],
  ])('%s authenticates with %s', (code, method) => {
    expect(findParticipatingBank(code)?.authMethod).toBe(method);
  });

  it('mostly otp: two app banks and five legacy_pin banks for the 2020 mode', () => {
    const count = (m: string) => PARTICIPATING_BANKS.filter((b) => b.authMethod === m).length;
    expect({ otp: count('otp'), app: count('app'), legacy_pin: count('legacy_pin') }).toEqual({
      otp: 28,
      app: 2,
      legacy_pin: 5,
    });
  });

  it.each(['0005', '9998', '', '1'])('%j is not participating', (code) => {
    expect(findParticipatingBank(code)).toBeUndefined();
  });

  it('cannot be changed at runtime', () => {
    expect(Object.isFrozen(PARTICIPATING_BANKS)).toBe(true);
    expect(PARTICIPATING_BANKS.every((b) => Object.isFrozen(b))).toBe(true);
  });
});
