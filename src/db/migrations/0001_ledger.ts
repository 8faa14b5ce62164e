import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/**
 * The ledger's tables. The invariants are constraints so that no code path (nor a hand-written UPDATE) can
 * break them: amounts in range, one debit and one credit per transfer, a pending transfer resolved at most once,
 * transfers immutable, and no wallet balance below zero.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(
    db,
    `
    CREATE TABLE ledger_accounts (
      id text PRIMARY KEY,
      kind text NOT NULL CHECK (kind IN ('wallet','merchant','bank_clearing','compensation','fee','suspense')),
      owner_id text,
      bank_code text,
      slots int NOT NULL CHECK (slots BETWEEN 1 AND 64),
      must_not_overdraw boolean NOT NULL,
      created_at timestamptz NOT NULL
    );
    CREATE UNIQUE INDEX ledger_accounts_owner ON ledger_accounts (kind, owner_id) WHERE owner_id IS NOT NULL;
    CREATE UNIQUE INDEX ledger_accounts_bank ON ledger_accounts (kind, bank_code) WHERE bank_code IS NOT NULL;

    -- A balance is split into slots so that credits to a hot account (one merchant taking every payment) land on
    -- different rows instead of queueing on one row lock. Accounts that must not overdraw have one slot, so the
    -- CHECK below sees their whole balance and the database itself refuses an overdraft.
    CREATE TABLE ledger_balances (
      account_id text NOT NULL REFERENCES ledger_accounts(id),
      slot int NOT NULL,
      must_not_overdraw boolean NOT NULL,
      debits_posted bigint NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
      credits_posted bigint NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
      debits_pending bigint NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
      credits_pending bigint NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
      PRIMARY KEY (account_id, slot),
      CONSTRAINT balance_not_overdrawn CHECK (NOT must_not_overdraw OR credits_posted >= debits_posted + debits_pending)
    );

    CREATE TABLE ledger_transfers (
      id text PRIMARY KEY,
      debit_account_id text NOT NULL REFERENCES ledger_accounts(id),
      credit_account_id text NOT NULL REFERENCES ledger_accounts(id),
      debit_slot int NOT NULL,
      credit_slot int NOT NULL,
      amount bigint NOT NULL CHECK (amount BETWEEN 1 AND 9999999999),
      phase text NOT NULL CHECK (phase IN ('single','pending','post','void')),
      pending_id text REFERENCES ledger_transfers(id),
      reverses_id text REFERENCES ledger_transfers(id),
      code text NOT NULL,
      ref_id text,
      created_at timestamptz NOT NULL,
      CHECK (debit_account_id <> credit_account_id),
      CHECK ((phase IN ('post','void')) = (pending_id IS NOT NULL))
    );
    -- A pending transfer is posted or voided, never both and never twice.
    CREATE UNIQUE INDEX ledger_transfers_resolves ON ledger_transfers (pending_id) WHERE pending_id IS NOT NULL;
    CREATE INDEX ledger_transfers_debit ON ledger_transfers (debit_account_id);
    CREATE INDEX ledger_transfers_credit ON ledger_transfers (credit_account_id);
    CREATE INDEX ledger_transfers_ref ON ledger_transfers (ref_id);

    CREATE FUNCTION ledger_transfers_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'ledger transfers are immutable: write a reversing transfer instead' USING ERRCODE = 'restrict_violation';
    END $$;
    CREATE TRIGGER ledger_transfers_no_update BEFORE UPDATE OR DELETE ON ledger_transfers
      FOR EACH ROW EXECUTE FUNCTION ledger_transfers_immutable();
  `,
  );
}
