import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/**
 * The risk engine's memory, all owned by src/risk:
 * - `risk_events`: every scored event (sign-up, login, link, money), written in the same transaction as the change
 *   it describes, with the signal values as they were at that moment, the decision, the rules that fired, the rule
 *   set version, the decision of a shadowed draft (not enforced) and an analyst's label (fraud / not fraud). Back-tests
 *   replay these rows; the simulator and the outbox read the same stream (ordered by `seq`).
 * - `risk_restrictions`: time-limited restrictions a decision attached to a wallet (or to one of its links).
 * - `risk_rule_sets.shadow`: the one draft run on live traffic beside the published version (decisions stored in
 *   `risk_events.shadow`, not enforced).
 * - `risk_lists`: block, allow and watch lists (watch = spread from a fraud label) with reason and expiry; one live
 *   entry per list, kind and value.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(
    db,
    `
    CREATE TABLE risk_events (
      id text PRIMARY KEY,
      seq bigserial UNIQUE,
      type text NOT NULL,
      user_id text NOT NULL,
      object_id text,
      amount bigint NOT NULL DEFAULT 0 CHECK (amount >= 0),
      occurred_at timestamptz NOT NULL,
      event text NOT NULL,
      signals text NOT NULL,
      decision text NOT NULL CHECK (decision IN ('allow', 'challenge', 'review', 'deny')),
      score integer NOT NULL CHECK (score BETWEEN 0 AND 100),
      reasons text NOT NULL,
      rule_set_version integer NOT NULL,
      enforced boolean NOT NULL DEFAULT true,
      shadow text,
      label text CHECK (label IN ('fraud', 'not_fraud')),
      labelled_by text,
      labelled_at timestamptz
    );
    CREATE INDEX risk_events_time ON risk_events (occurred_at);
    CREATE INDEX risk_events_user ON risk_events (user_id, occurred_at);
    CREATE INDEX risk_events_object ON risk_events (object_id) WHERE object_id IS NOT NULL;

    CREATE TABLE risk_restrictions (
      id text PRIMARY KEY,
      user_id text NOT NULL,
      link_id text,
      type text NOT NULL CHECK (type IN ('charge_daily_cap', 'no_outgoing_transfers', 'withdrawals_to_charging_account_only', 'merchants_only')),
      limit_yen bigint CHECK (limit_yen IS NULL OR limit_yen > 0),
      until timestamptz NOT NULL,
      message text NOT NULL,
      rule text NOT NULL,
      event_id text,
      created_at timestamptz NOT NULL,
      CONSTRAINT risk_restrictions_cap_has_limit CHECK (type <> 'charge_daily_cap' OR limit_yen IS NOT NULL)
    );
    CREATE INDEX risk_restrictions_user ON risk_restrictions (user_id, until);

    CREATE TABLE risk_lists (
      id text PRIMARY KEY,
      list text NOT NULL CHECK (list IN ('block', 'allow', 'watch')),
      kind text NOT NULL CHECK (kind IN ('email', 'phone', 'device', 'ip', 'bank_account', 'merchant', 'recipient', 'user')),
      value text NOT NULL CHECK (length(value) BETWEEN 1 AND 200),
      reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
      expires_at timestamptz,
      created_by text NOT NULL,
      created_at timestamptz NOT NULL,
      removed_by text,
      removed_at timestamptz
    );
    ALTER TABLE risk_rule_sets ADD COLUMN shadow boolean NOT NULL DEFAULT false;
    CREATE UNIQUE INDEX risk_rule_sets_one_shadow ON risk_rule_sets ((shadow)) WHERE shadow;

    CREATE UNIQUE INDEX risk_lists_one_live ON risk_lists (list, kind, value) WHERE removed_at IS NULL;
  `,
  );
}
