import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/**
 * The operator's published compensation policy (what is compensated, within what time, how to claim), served at
 * GET /v1/compensation-policy. It is configuration: a YAML or JSON file (SAIFU_COMPENSATION_POLICY), read once at
 * start; without one the built-in document below is served. A file that does not parse to an object, or lacks a
 * title, compensated cases or a way to claim, stops the start rather than publishing a broken policy.
 */
export const DEFAULT_COMPENSATION_POLICY = {
  title: 'Saifu compensation policy for unauthorized use',
  version: '2026-01',
  operator: 'Saifu',
  compensated: [
    'Charges from your bank account through a bank link you did not make or authorize.',
    'Payments, transfers and withdrawals made from your wallet by someone who took it over.',
  ],
  notCompensated: [
    'Losses caused by your own intent or gross negligence (for example, telling a one-time code to a caller).',
    'Losses reported more than 3 years after the debit first appeared on your statement.',
  ],
  timeLimits: {
    reportWithinDays: 1095,
    decisionWithinDays: 30,
    paymentWithinDays: 14,
  },
  howToClaim: [
    'Tell your bank, or Saifu support, that the debit was not you: the link is frozen at once.',
    'We confirm the case with your bank; balances left in the fraudulent wallets are returned to your account first.',
    'The rest is paid from Saifu’s compensation account to the same bank account; the cost split with your bank never delays you.',
  ],
  costSharing:
    'Saifu and each participating bank agree the split of compensation costs in advance; linking at a bank is not offered without such an agreement.',
  contact: 'support@saifu.example',
} as const;

export type CompensationPolicy = Record<string, unknown>;

export function loadCompensationPolicy(path: string | undefined): CompensationPolicy {
  if (!path) return { ...DEFAULT_COMPENSATION_POLICY };
  const doc: unknown = parse(readFileSync(path, 'utf8'));
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw new Error(`compensation policy ${path}: the document must be a mapping (YAML) or an object (JSON)`);
  const d = doc as Record<string, unknown>;
  for (const field of ['title', 'compensated', 'howToClaim'])
    if (d[field] === undefined) throw new Error(`compensation policy ${path}: "${field}" is missing`);
  return d;
}
