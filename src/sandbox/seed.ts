import type { Services } from '../services.ts';

export interface SeedReport {
  merchant: { id: string; name: string; apiKey?: string };
}

export const DEMO_MERCHANT = 'Saifu Demo Store';

/** Seeds the sandbox once (safe to run at every start): a demo merchant to pay. Its API key is shown only when created. */
export async function seedSandbox(s: Services): Promise<SeedReport> {
  const existing = await s.db.selectFrom('merchants').select(['id', 'name']).where('name', '=', DEMO_MERCHANT).orderBy('id').executeTakeFirst();
  if (existing) return { merchant: existing };
  return { merchant: await s.wallet.payments.createMerchant(DEMO_MERCHANT) };
}
