import type { Services } from '../services.ts';

export interface SeedReport {
  merchant: { id: string; name: string; apiKey?: string };
  operator: { email: string; password?: string };
}

export const DEMO_MERCHANT = 'Saifu Demo Store';

export const SANDBOX_ADMIN = 'admin@saifu.test';

/**
 * Seeds the sandbox once (safe to run at every start): a demo merchant to pay and an admin operator. The
 * merchant's API key and the operator's password are shown only when created (only their hashes are kept).
 */
export async function seedSandbox(s: Services): Promise<SeedReport> {
  const existing = await s.db
    .selectFrom('merchants')
    .select(['id', 'name'])
    .where('name', '=', DEMO_MERCHANT)
    .orderBy('id')
    .executeTakeFirst();
  const merchant = existing ?? (await s.wallet.payments.createMerchant(DEMO_MERCHANT));
  const admin = await s.db
    .selectFrom('operators')
    .select('email')
    .where('email', '=', SANDBOX_ADMIN)
    .executeTakeFirst();
  const operator = admin ? { email: admin.email } : await s.ops.createOperator(SANDBOX_ADMIN, 'admin', 'seed');
  return {
    merchant,
    operator: { email: operator.email, ...('password' in operator ? { password: operator.password } : {}) },
  };
}
