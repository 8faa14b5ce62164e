import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/**
 * Operations: operators with roles and their sessions, the hash-chained audit log of every operator action
 * (append-only: a trigger refuses UPDATE and DELETE; appends are serialised on one chain-head row), and the
 * history of per-bank switch changes with their reasons.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(db, `
    CREATE TABLE bank_switch_changes (
      id text PRIMARY KEY,
      bank_code text NOT NULL,
      changes text NOT NULL,
      reason text NOT NULL CHECK (length(reason) > 0),
      actor text NOT NULL,
      created_at timestamptz NOT NULL
    );
    CREATE INDEX bank_switch_changes_bank ON bank_switch_changes (bank_code, created_at);

    CREATE TABLE operators (
      id text PRIMARY KEY,
      email text NOT NULL UNIQUE,
      password_hash text NOT NULL,
      role text NOT NULL CHECK (role IN ('support','fraud_analyst','compliance','admin')),
      disabled_at timestamptz,
      created_at timestamptz NOT NULL
    );
    CREATE TABLE operator_sessions (
      id text PRIMARY KEY,
      operator_id text NOT NULL REFERENCES operators(id),
      token_hash text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      revoked_at timestamptz
    );

    CREATE TABLE audit_head (
      id int PRIMARY KEY CHECK (id = 1),
      seq bigint NOT NULL,
      hash text NOT NULL
    );
    INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, 'genesis');
    CREATE TABLE audit_log (
      seq bigint PRIMARY KEY,
      id text NOT NULL UNIQUE,
      at timestamptz NOT NULL,
      actor text NOT NULL,
      action text NOT NULL,
      target text NOT NULL,
      details text NOT NULL,
      prev_hash text NOT NULL,
      hash text NOT NULL
    );
    CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'restrict_violation';
    END $$;
    CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
  `);
}
