/**
 * How a bank confirms that the person linking an account is its holder, in Saifu's sandbox. Declared here
 * rather than imported so the registry stays a leaf module; it is structurally the authenticator's AuthMethod.
 */
export type BankAuthMethod = 'otp' | 'app' | 'legacy_pin';

export type ParticipatingBank = { readonly code: string; readonly authMethod: BankAuthMethod };

/**
 * The 35 banks that could be linked to the 2020 service. Most send a one-time code to the holder's registered
 * phone; two approve in their own app. Five regional banks keep the 2020 weakness (account number, PIN and birth
 * date, nothing the holder must confirm) so the simulator's 2020 mode has something to attack; Saifu refuses
 * them by default. Which five is a modelling choice, not a claim about any real bank's security.
 *
 * Codes are the 2020 ones. Some banks merged since and kept the code, so today's Zengin data names them
 * differently (0117 青森みちのく, 0143 八十二長野, 0154 三十三); every code still exists with branches
 * (participating.test.ts checks it against the installed data, so a future merger that retires one fails there).
 */
export const PARTICIPATING_BANKS: ReadonlyArray<ParticipatingBank> = Object.freeze(
  (
    [
      ['0001', 'otp'],
      ['0009', 'app'],
      ['9900', 'otp'], // Japan Post Bank: customers give 記号・番号, see japan-post.ts
      ['0040', 'app'],
      ['0174', 'legacy_pin'],
      ['0161', 'legacy_pin'],
      ['0576', 'legacy_pin'],
      ['0183', 'legacy_pin'],
      ['0152', 'legacy_pin'],
      ['0163', 'otp'],
      ['0158', 'otp'],
      ['0157', 'otp'],
      ['0149', 'otp'],
      ['0125', 'otp'],
      ['0153', 'otp'],
      ['0150', 'otp'],
      ['0512', 'otp'],
      ['0035', 'otp'],
      ['0164', 'otp'],
      ['0154', 'otp'],
      ['0134', 'otp'],
      ['0135', 'otp'],
      ['0168', 'otp'],
      ['0126', 'otp'],
      ['0166', 'otp'],
      ['0162', 'otp'],
      ['0190', 'otp'],
      ['0143', 'otp'],
      ['0182', 'otp'],
      ['0173', 'otp'],
      ['0169', 'otp'],
      ['0177', 'otp'],
      ['0501', 'otp'],
      ['0117', 'otp'],
      ['0187', 'otp'],
    ] as const
  ).map(([code, authMethod]): ParticipatingBank => Object.freeze({ code, authMethod })),
);

const BY_CODE: ReadonlyMap<string, ParticipatingBank> = new Map(PARTICIPATING_BANKS.map((b) => [b.code, b]));

/** The participating entry for a bank code, or undefined for the ~1,100 banks that never took part. */
export function findParticipatingBank(code: string): ParticipatingBank | undefined {
  return BY_CODE.get(code);
}
