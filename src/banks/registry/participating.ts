import type { AuthMethod } from '../authenticator.ts';

/**
 * The 35 banks that could be linked to the 2020 service, with the way each authenticates a link in Saifu's
 * sandbox. Most use a one-time code sent to the holder's registered phone; two approve in their app; a few
 * keep the 2020 weakness (PIN + birth date only) so the simulator's 2020 mode has something to attack —
 * Saifu refuses them by default.
 */
export const PARTICIPATING_BANKS: ReadonlyArray<{ code: string; authMethod: AuthMethod }> = [
  ['0001', 'otp'], ['0009', 'app'], ['9900', 'otp'], ['0040', 'app'], ['0174', 'legacy_pin'], ['0161', 'legacy_pin'],
  ['0576', 'legacy_pin'], ['0183', 'legacy_pin'], ['0152', 'legacy_pin'], ['0163', 'otp'], ['0158', 'otp'], ['0157', 'otp'],
  ['0149', 'otp'], ['0125', 'otp'], ['0153', 'otp'], ['0150', 'otp'], ['0512', 'otp'], ['0035', 'otp'], ['0164', 'otp'],
  ['0154', 'otp'], ['0134', 'otp'], ['0135', 'otp'], ['0168', 'otp'], ['0126', 'otp'], ['0166', 'otp'], ['0162', 'otp'],
  ['0190', 'otp'], ['0143', 'otp'], ['0182', 'otp'], ['0173', 'otp'], ['0169', 'otp'], ['0177', 'otp'], ['0501', 'otp'],
  ['0117', 'otp'], ['0187', 'otp'],
].map(([code, authMethod]) => ({ code: code as string, authMethod: authMethod as AuthMethod }));
