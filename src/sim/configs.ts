import { DEFAULT_LINKING_POLICY, LINKING_POLICY_2020, type LinkingPolicy } from '../banks/index.ts';
import { DEFAULT_POLICY, type LimitPolicy, WALLET_POLICY_2020 } from '../wallet/index.ts';

/** How the criminals work in a run: the 2020 campaign, or one of its variants (reported separately). */
export type CampaignKind = '2020' | 'forged-id-same-name' | 'sim-swap' | 'slow-small' | 'mule-ring';

/** One configuration of Saifu (and of the banks it links to) with the campaign run against it. */
export interface SimConfig {
  name: string;
  description: string;
  linkingPolicy: LinkingPolicy;
  walletPolicy: LimitPolicy;
  /** The risk engine scores every event (false = no risk rules). */
  risk: boolean;
  /** Every bank authenticates links with account number + PIN + birth date only (the 2020 banks). */
  legacyPinBanks: boolean;
  campaign: CampaignKind;
}

const DEFAULT: SimConfig = {
  name: 'default',
  description: 'Saifu as shipped',
  linkingPolicy: DEFAULT_LINKING_POLICY,
  walletPolicy: DEFAULT_POLICY,
  risk: true,
  legacyPinBanks: false,
  campaign: '2020',
};

const off = (name: string, description: string, change: Partial<SimConfig>): SimConfig => ({
  ...DEFAULT,
  name,
  description,
  ...change,
});
const linking = (change: Partial<LinkingPolicy>): LinkingPolicy => ({ ...DEFAULT_LINKING_POLICY, ...change });
const variant = (campaign: CampaignKind, description: string): SimConfig => ({
  ...DEFAULT,
  name: campaign,
  description,
  campaign,
});

/** Every configuration `saifu sim --config` knows, in the order the standard comparison runs and reports them. */
export const CONFIGS: readonly SimConfig[] = [
  {
    name: '2020',
    description:
      'the 2020 service: email-only wallets, legacy_pin banks, no name match, notices, cooling-off or risk rules',
    linkingPolicy: LINKING_POLICY_2020,
    walletPolicy: WALLET_POLICY_2020,
    risk: false,
    legacyPinBanks: true,
    campaign: '2020',
  },
  DEFAULT,
  // The name match compares the bank's holder name with the eKYC-verified one: without eKYC there is nothing to match.
  off('no-ekyc', 'default without eKYC, and so without the name match (any wallet with a confirmed phone may link)', {
    linkingPolicy: linking({ requireVerifiedIdentity: false, nameMatchThreshold: 0, requireBirthDateMatch: false }),
  }),
  off(
    'no-bank-mfa',
    'default, but the banks take account number + PIN + birth date (legacy_pin) and Saifu accepts it',
    {
      linkingPolicy: linking({ allowLegacyPin: true }),
      legacyPinBanks: true,
    },
  ),
  off('no-name-match', 'default without the kana name and birth date match', {
    linkingPolicy: linking({ nameMatchThreshold: 0, requireBirthDateMatch: false }),
  }),
  off('no-notices', 'default without bank notices to the account holder', {
    linkingPolicy: linking({ notifyHolder: false }),
  }),
  off('no-cooling-off', 'default without the 7-day cooling-off cap on new links', {
    walletPolicy: { ...DEFAULT_POLICY, coolingOffDays: 0 },
  }),
  off('no-risk', 'default without the risk engine', { risk: false }),
  variant('forged-id-same-name', 'default vs forged ID in the victim’s name + a same-name account the criminal opened'),
  variant('sim-swap', 'default vs forged ID in the victim’s name + SIM swap (the bank OTP reaches the criminal)'),
  variant('slow-small', 'default vs forged ID + SIM swap, draining small amounts slowly to stay under thresholds'),
  variant('mule-ring', 'default vs forged ID + SIM swap, cash-out through a ring of mules receiving from many wallets'),
];

export const CONFIG_NAMES = CONFIGS.map((c) => c.name);

export function findConfig(name: string): SimConfig | undefined {
  return CONFIGS.find((c) => c.name === name);
}
