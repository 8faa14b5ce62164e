/**
 * The switches of the linking defences. DEFAULT is Saifu's; LINKING_POLICY_2020 is the configuration of the
 * 2020 service (every defence off), kept so tests and the simulator can prove each switch is real.
 */
export interface LinkingPolicy {
  /** `legacy_pin` banks (account number + PIN + birth date only) are refused unless this is on. */
  allowLegacyPin: boolean;
  requirePhoneConfirmed: boolean;
  /** Only an eKYC-verified wallet may link; its verified kana name and birth date are matched to the bank's. */
  requireVerifiedIdentity: boolean;
  /** A fresh second factor (step-up) before a new link. */
  requireStepUp: boolean;
  /** 0–100; 0 turns name matching off. */
  nameMatchThreshold: number;
  requireBirthDateMatch: boolean;
  /** Bank notices to the account holder on every link and failed attempt. */
  notifyHolder: boolean;
  reverseBruteForce: {
    enabled: boolean;
    windowMs: number;
    /** Distinct accounts on which one PIN value may fail before that PIN value is blocked. */
    maxAccountsPerPin: number;
    /** PIN failures one device or one IP may cause before it is blocked. */
    maxFailuresPerSource: number;
  };
  authorizationTtlMs: number;
  /** Wrong PINs/codes a link authorization may take before it fails. */
  attempts: number;
  /** How many wallets one bank account may be linked to (operators may raise it per account). */
  maxWalletsPerAccount: number;
  /**
   * Withdrawals go only to the wallet's withdrawal account (`required`); a newly designated one waits `coolingOffMs`
   * while the previous one still receives them. The 2020 service paid out to any link at once.
   */
  withdrawalAccount: { required: boolean; coolingOffMs: number };
}

export const DEFAULT_LINKING_POLICY: LinkingPolicy = {
  allowLegacyPin: false,
  requirePhoneConfirmed: true,
  requireVerifiedIdentity: true,
  requireStepUp: true,
  nameMatchThreshold: 85,
  requireBirthDateMatch: true,
  notifyHolder: true,
  reverseBruteForce: { enabled: true, windowMs: 60 * 60 * 1000, maxAccountsPerPin: 5, maxFailuresPerSource: 5 },
  authorizationTtlMs: 10 * 60 * 1000,
  attempts: 3,
  maxWalletsPerAccount: 1,
  withdrawalAccount: { required: true, coolingOffMs: 72 * 60 * 60 * 1000 },
};

export const LINKING_POLICY_2020: LinkingPolicy = {
  allowLegacyPin: true,
  requirePhoneConfirmed: false,
  requireVerifiedIdentity: false,
  requireStepUp: false,
  nameMatchThreshold: 0,
  requireBirthDateMatch: false,
  notifyHolder: false,
  reverseBruteForce: {
    enabled: false,
    windowMs: 60 * 60 * 1000,
    maxAccountsPerPin: Number.MAX_SAFE_INTEGER,
    maxFailuresPerSource: Number.MAX_SAFE_INTEGER,
  },
  authorizationTtlMs: 10 * 60 * 1000,
  attempts: 3,
  maxWalletsPerAccount: 1_000,
  withdrawalAccount: { required: false, coolingOffMs: 0 },
};
