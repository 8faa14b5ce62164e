import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/**
 * Incidents (src/incidents): an incident names one bank (or all) and a time window; analysts mark links
 * fraudulent, which freezes wallets and records where their money went; remediation pays each victim (a bank
 * account) once per incident — the unique index below — and each charge at most once across incidents. Each
 * bank's cost-split agreement is kept with who recorded it and from when it applies.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(
    db,
    `
    CREATE TABLE bank_cost_agreements (
      id text PRIMARY KEY,
      bank_code text NOT NULL CHECK (bank_code ~ '^[0-9]{4}$'),
      operator_share_pct int NOT NULL CHECK (operator_share_pct BETWEEN 0 AND 100),
      bank_share_pct int NOT NULL CHECK (bank_share_pct BETWEEN 0 AND 100),
      effective_from timestamptz NOT NULL,
      recorded_by text NOT NULL,
      note text NOT NULL CHECK (length(note) > 0),
      created_at timestamptz NOT NULL,
      CHECK (operator_share_pct + bank_share_pct = 100)
    );
    CREATE INDEX bank_cost_agreements_bank ON bank_cost_agreements (bank_code, effective_from DESC, id DESC);

    CREATE TABLE incidents (
      id text PRIMARY KEY,
      bank_code text CHECK (bank_code ~ '^[0-9]{4}$'),
      window_from timestamptz NOT NULL,
      window_to timestamptz NOT NULL,
      reason text NOT NULL CHECK (length(reason) > 0),
      status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
      created_by text NOT NULL,
      created_at timestamptz NOT NULL,
      closed_at timestamptz,
      CHECK (window_from < window_to),
      CHECK ((status = 'closed') = (closed_at IS NOT NULL))
    );

    CREATE TABLE incident_fraud_links (
      incident_id text NOT NULL REFERENCES incidents(id),
      link_id text NOT NULL,
      user_id text NOT NULL,
      bank_code text NOT NULL,
      branch_code text NOT NULL,
      account_type text NOT NULL,
      account_number text NOT NULL,
      cluster text,
      note text NOT NULL,
      marked_by text NOT NULL,
      marked_at timestamptz NOT NULL,
      PRIMARY KEY (incident_id, link_id)
    );

    CREATE TABLE incident_wallets (
      incident_id text NOT NULL REFERENCES incidents(id),
      user_id text NOT NULL,
      role text NOT NULL CHECK (role IN ('fraudulent', 'recipient')),
      traced_amount bigint NOT NULL DEFAULT 0 CHECK (traced_amount >= 0),
      frozen_at timestamptz NOT NULL,
      PRIMARY KEY (incident_id, user_id)
    );

    CREATE TABLE incident_traces (
      incident_id text NOT NULL REFERENCES incidents(id),
      object_id text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('transfer', 'payment', 'withdrawal')),
      from_user_id text NOT NULL,
      counterparty text NOT NULL,
      amount bigint NOT NULL CHECK (amount > 0),
      status text NOT NULL,
      occurred_at timestamptz NOT NULL,
      PRIMARY KEY (incident_id, object_id)
    );

    CREATE TABLE incident_remediations (
      id text PRIMARY KEY,
      incident_id text NOT NULL REFERENCES incidents(id),
      victim_key text NOT NULL,
      bank_code text NOT NULL,
      branch_code text NOT NULL,
      account_type text NOT NULL,
      account_number text NOT NULL,
      loss bigint NOT NULL CHECK (loss > 0),
      returned bigint NOT NULL CHECK (returned >= 0),
      compensated bigint NOT NULL CHECK (compensated >= 0),
      operator_share bigint NOT NULL CHECK (operator_share >= 0),
      bank_share bigint NOT NULL CHECK (bank_share >= 0),
      operator_share_pct int NOT NULL,
      bank_share_pct int NOT NULL,
      agreement_id text,
      sources text NOT NULL,
      hold_ids text NOT NULL,
      status text NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'pending', 'succeeded', 'failed')),
      failure_code text,
      approval_id text NOT NULL,
      requested_by text NOT NULL,
      approved_by text NOT NULL,
      bank_called_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CHECK (returned + compensated = loss),
      CHECK (operator_share + bank_share = compensated),
      CHECK (requested_by <> approved_by)
    );
    -- Nothing is paid twice: one live payout per victim and incident (a failed one may be asked for again).
    CREATE UNIQUE INDEX incident_remediations_once ON incident_remediations (incident_id, victim_key)
      WHERE status <> 'failed';
    CREATE INDEX incident_remediations_status ON incident_remediations (status, id);

    CREATE TABLE incident_remediation_charges (
      remediation_id text NOT NULL REFERENCES incident_remediations(id),
      charge_id text NOT NULL,
      amount bigint NOT NULL CHECK (amount > 0),
      released boolean NOT NULL DEFAULT false,
      PRIMARY KEY (remediation_id, charge_id)
    );
    -- A charge is made good at most once, whichever incident covers it.
    CREATE UNIQUE INDEX incident_remediation_charges_once ON incident_remediation_charges (charge_id)
      WHERE NOT released;
  `,
  );
}
