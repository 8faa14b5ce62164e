import { generate } from 'otplib';
import { describe, expect, it } from 'vitest';
import { checkTotp } from './totp.ts';

// RFC 6238 Appendix B, SHA-1: secret "12345678901234567890" (base32 below).
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

describe('TOTP (RFC 6238)', () => {
  it.each([
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ])('T=%i → %s', async (t, code) => {
    expect(await generate({ secret: RFC_SECRET, epoch: t, digits: 8 })).toBe(code);
    // Saifu uses 6 digits: the last six of the same value.
    expect(await checkTotp(RFC_SECRET, code.slice(-6), new Date(t * 1000), null)).toBe(Math.floor(t / 30));
  });

  it('refuses a replay of the same step, and an older step, but takes the next one', async () => {
    const now = new Date(1111111111 * 1000);
    const step = await checkTotp(RFC_SECRET, '050471', now, null);
    expect(step).not.toBeNull();
    expect(await checkTotp(RFC_SECRET, '050471', now, step)).toBeNull();
    const next = await generate({ secret: RFC_SECRET, epoch: 1111111111 + 30 });
    expect(await checkTotp(RFC_SECRET, next, new Date((1111111111 + 30) * 1000), step)).toBe(step! + 1);
  });

  it('allows one period of drift, not two; refuses malformed codes', async () => {
    const code = await generate({ secret: RFC_SECRET, epoch: 1_700_000_000 });
    expect(await checkTotp(RFC_SECRET, code, new Date((1_700_000_000 + 30) * 1000), null)).not.toBeNull();
    expect(await checkTotp(RFC_SECRET, code, new Date((1_700_000_000 + 95) * 1000), null)).toBeNull();
    expect(await checkTotp(RFC_SECRET, '12345', new Date(), null)).toBeNull();
    expect(await checkTotp(RFC_SECRET, 'abcdef', new Date(), null)).toBeNull();
  });
});
