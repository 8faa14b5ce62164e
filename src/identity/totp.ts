import { generateSecret, generateURI, verify } from 'otplib';

/** RFC 6238 TOTP (SHA-1, 30 s, 6 digits) through otplib; one period of clock drift either way. */
export const TOTP_PERIOD_S = 30;

export function newTotpSecret(): string {
  return generateSecret();
}

export function totpUri(secret: string, account: string): string {
  return generateURI({ issuer: 'Saifu', label: account, secret });
}

/**
 * Checks a code at `now`; returns the time step it belongs to, or null. The caller stores the step and passes
 * it back as `afterStep`, so a code (or an older one) is never accepted twice.
 */
export async function checkTotp(
  secret: string,
  code: string,
  now: Date,
  afterStep: number | null,
): Promise<number | null> {
  if (!/^\d{6}$/.test(code)) return null;
  const r = await verify({
    secret,
    token: code,
    epoch: Math.floor(now.getTime() / 1000),
    epochTolerance: TOTP_PERIOD_S,
    ...(afterStep !== null ? { afterTimeStep: afterStep } : {}),
  });
  // otplib's union type covers HOTP too; a TOTP result carries its time step.
  return r.valid && 'timeStep' in r ? r.timeStep : null;
}
