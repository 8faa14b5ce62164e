import type { ColumnType, Generated } from 'kysely';
import type { BankDeclineCode, LinkFailureCode, MoneyFailureCode } from './failure-codes.ts';

/** bigint columns: both drivers are set to return JS numbers (see connect.ts); repositories brand them as Yen. */
type Int8 = ColumnType<number, number | bigint, number | bigint>;
/** An int8 column with a database default. */
type Int8Default = ColumnType<number, number | bigint | undefined, number | bigint>;
type Ts = ColumnType<Date, Date | string, Date | string>;

export interface LedgerAccountsTable {
  id: string;
  kind: 'wallet' | 'merchant' | 'bank_clearing' | 'compensation' | 'fee' | 'suspense';
  owner_id: string | null;
  bank_code: string | null;
  slots: number;
  must_not_overdraw: boolean;
  created_at: Ts;
}
export interface LedgerBalancesTable {
  account_id: string;
  slot: number;
  must_not_overdraw: boolean;
  debits_posted: Int8Default;
  credits_posted: Int8Default;
  debits_pending: Int8Default;
  credits_pending: Int8Default;
}
export interface LedgerTransfersTable {
  id: string;
  debit_account_id: string;
  credit_account_id: string;
  debit_slot: number;
  credit_slot: number;
  amount: Int8;
  phase: 'single' | 'pending' | 'post' | 'void';
  pending_id: string | null;
  reverses_id: string | null;
  code: string;
  ref_id: string | null;
  created_at: Ts;
}
export interface UsersTable {
  id: string;
  email: string;
  phone: string;
  password_hash: string;
  phone_confirmed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  verification: ColumnType<
    'unverified' | 'pending' | 'verified' | 'rejected',
    'unverified' | 'pending' | 'verified' | 'rejected' | undefined
  >;
  frozen_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** TOTP secret, encrypted (AES-256-GCM) under the server key; pending until the first code confirms it. */
  totp_secret: ColumnType<string | null, string | null | undefined, string | null>;
  totp_pending_secret: ColumnType<string | null, string | null | undefined, string | null>;
  /** The last TOTP time step accepted: a code is good once. */
  totp_last_step: ColumnType<number | null, number | null | undefined, number | null>;
  /** After a factor, phone, email or password changes: no outgoing transfers or withdrawals before this. */
  security_hold_until: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: Ts;
}
export interface SessionsTable {
  id: string;
  user_id: string;
  token_hash: string;
  created_at: Ts;
  expires_at: Ts;
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** Until when the session may do sensitive actions (set by step-up). */
  elevated_until: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}
export interface PhoneCodesTable {
  user_id: string;
  code_hash: string;
  attempts: number;
  expires_at: Ts;
}
export interface WalletsTable {
  user_id: string;
  account_id: string;
  created_at: Ts;
}
export interface MerchantsTable extends MerchantColumns {
  id: string;
  name: string;
  account_id: string;
  api_key_hash: string;
  created_at: Ts;
}
export type AccountType = 'ordinary' | 'current' | 'savings';
/** `in_review`: authenticated by the bank and held by a risk review; never usable for charges. */
export type LinkStatus =
  | 'pending_authorization'
  | 'active'
  | 'failed'
  | 'frozen'
  | 'unlinked'
  | 'in_review'
  /** Cut by an operator's forced re-link (migration 0023): never usable; the account is linked again from scratch. */
  | 'relink_required';
export interface BankLinksTable {
  id: string;
  user_id: string;
  bank_code: string;
  branch_code: string;
  account_type: AccountType;
  account_number: string;
  status: LinkStatus;
  failure_code: ColumnType<LinkFailureCode | null, LinkFailureCode | null | undefined, LinkFailureCode | null>;
  auth_method: ColumnType<string | null, string | null | undefined, string | null>;
  auth_step: ColumnType<string | null, string | null | undefined, string | null>;
  attempts_left: ColumnType<number, number | undefined, number>;
  expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  name_match_score: ColumnType<number | null, number | null | undefined, number | null>;
  device_id: ColumnType<string | null, string | null | undefined, string | null>;
  ip: ColumnType<string | null, string | null | undefined, string | null>;
  activated_at: Ts | null;
  created_at: Ts;
  /** The link attempt's risk decision (JSON); NULL before the engine (allow/0). */
  risk: ColumnType<string | null, string | null | undefined, string | null>;
  /** The forced re-link (link_relinks) that cut this link. */
  relink_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** What the link may be used for (migration 0025); `withdrawals` links are never charged. */
  purpose: ColumnType<LinkPurpose, LinkPurpose | undefined, LinkPurpose>;
}
export type LinkPurpose = 'charges_and_withdrawals' | 'withdrawals';
export type MoneyStatus = 'succeeded' | 'pending' | 'requires_action' | 'in_review' | 'failed' | 'reversed';
export interface ChargesTable {
  id: string;
  user_id: string;
  bank_link_id: string;
  bank_code: string;
  amount: Int8;
  status: MoneyStatus;
  failure_code: MoneyFailureCode | null;
  hold_id: string | null;
  bank_reference: string;
  bank_called_at: Ts | null;
  /** The risk decision at creation (JSON text); NULL for rows from before the engine. */
  risk: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Ts;
  updated_at: Ts;
}
export type WithdrawalsTable = ChargesTable;
export interface PaymentsTable {
  id: string;
  user_id: string;
  merchant_id: string;
  amount: Int8;
  refunded: ColumnType<number, number | undefined, number>;
  status: MoneyStatus;
  description: string | null;
  reference: string | null;
  /** The ledger transfer; for a payment waiting (requires_action, in_review) its hold, posted or voided later. */
  transfer_id: string;
  failure_code: ColumnType<MoneyFailureCode | null, MoneyFailureCode | null | undefined, MoneyFailureCode | null>;
  /** The risk decision at creation (JSON text); NULL for rows from before the engine. */
  risk: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Ts;
}
export interface WalletTransfersTable {
  id: string;
  from_user_id: string;
  to_user_id: string;
  amount: Int8;
  status: MoneyStatus;
  message: string | null;
  /** For a requires_action transfer this is its hold (a pending ledger transfer), posted or voided later. */
  transfer_id: string;
  failure_code: ColumnType<MoneyFailureCode | null, MoneyFailureCode | null | undefined, MoneyFailureCode | null>;
  /** The risk decision at creation (JSON text); NULL for rows from before the engine. */
  risk: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Ts;
}
export interface RefundsTable {
  id: string;
  payment_id: string;
  merchant_id: string;
  user_id: string;
  amount: Int8;
  status: MoneyStatus;
  transfer_id: string;
  created_at: Ts;
}
export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  request_hash: string;
  /** `in_flight`: the object (if `object_id`) is written, its final answer not yet stored; `done`: the answer is. */
  state: 'in_flight' | 'done';
  response_status: number | null;
  response_body: string | null;
  /** The object the request created or confirmed, written with it (migration 0013). */
  object_id: string | null;
  created_at: Ts;
}
export interface BankSettingsTable {
  bank_code: string;
  participating: boolean;
  auth_method: string | null;
  linking: boolean;
  charging: boolean;
  registration_changes: boolean;
  per_charge_limit: Int8 | null;
  monthly_limit: Int8 | null;
  cooling_off_days: ColumnType<number | null, number | null | undefined, number | null>;
  new_link_daily_limit: ColumnType<number | null, number | null | undefined, number | null>;
  updated_at: Ts;
}
export interface SandboxBankAccountsTable {
  bank_code: string;
  branch_code: string;
  account_number: string;
  account_type: AccountType;
  holder_name_kana: string;
  birth_date: ColumnType<string, string, string>;
  pin_hash: string;
  phone: string;
  balance: Int8;
  pin_failures: ColumnType<number, number | undefined, number>;
  locked_at: Ts | null;
  created_at: Ts;
}
export interface SandboxBankOperationsTable {
  reference: string;
  bank_code: string;
  branch_code: string;
  account_number: string;
  kind: 'debit' | 'credit';
  amount: Int8;
  outcome: 'succeeded' | 'declined' | 'cancelled';
  decline_code: BankDeclineCode | null;
  created_at: Ts;
}
export interface SandboxStatementLinesTable {
  id: Generated<number>;
  bank_code: string;
  branch_code: string;
  account_number: string;
  reference: string;
  descriptor: string;
  amount: Int8;
  balance_after: Int8;
  created_at: Ts;
}
export type FaultKind = 'timeout' | 'decline' | 'duplicate' | 'down';
export interface SandboxFaultsTable {
  bank_code: string;
  kind: FaultKind;
  rate: number;
}
export interface SandboxMessagesTable {
  id: string;
  recipient: string;
  channel: 'sms' | 'email' | 'bank_notice';
  body: string;
  code: string | null;
  created_at: Ts;
}

/** Core tables (ledger, wallet, sandbox bank). Other areas' tables are declared in schema-*.ts files. */
export interface CoreTables {
  ledger_accounts: LedgerAccountsTable;
  ledger_balances: LedgerBalancesTable;
  ledger_transfers: LedgerTransfersTable;
  users: UsersTable;
  sessions: SessionsTable;
  phone_codes: PhoneCodesTable;
  wallets: WalletsTable;
  merchants: MerchantsTable;
  bank_links: BankLinksTable;
  charges: ChargesTable;
  payments: PaymentsTable;
  wallet_transfers: WalletTransfersTable;
  withdrawals: WithdrawalsTable;
  refunds: RefundsTable;
  idempotency_keys: IdempotencyKeysTable;
  bank_settings: BankSettingsTable;
  sandbox_bank_accounts: SandboxBankAccountsTable;
  sandbox_bank_operations: SandboxBankOperationsTable;
  sandbox_statement_lines: SandboxStatementLinesTable;
  sandbox_faults: SandboxFaultsTable;
  sandbox_messages: SandboxMessagesTable;
  /** Owned by src/attempts. */
  attempt_counters: AttemptCountersTable;
}

export interface AttemptCountersTable {
  key: string;
  used: number;
  window_ends: Ts;
  locked_until: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  locks: ColumnType<number, number | undefined, number>;
}

export type { IdentityTables } from './schema-identity.ts';
export type { CaseStatus, LinkingTables } from './schema-linking.ts';
export type { OpsTables } from './schema-ops.ts';
import type { IdentityTables } from './schema-identity.ts';
import type { LinkingTables } from './schema-linking.ts';
import type { OpsTables } from './schema-ops.ts';
import type { RiskTables } from './schema-risk.ts';
import type { MerchantColumns, MerchantsTables } from './schema-merchants.ts';
import type { OutboxTables } from './schema-outbox.ts';
import type { WithdrawalAccountTables } from './schema-withdrawal-accounts.ts';
import type { IncidentTables } from './schema-incidents.ts';

export interface DB
  extends CoreTables,
    IdentityTables,
    LinkingTables,
    OpsTables,
    RiskTables,
    OutboxTables,
    MerchantsTables,
    IncidentTables,
    WithdrawalAccountTables {}
