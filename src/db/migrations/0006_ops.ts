import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/**
 * Operations: operators with roles and their sessions, the hash-chained audit log of every operator action
 * (append-only: triggers refuse UPDATE, DELETE and TRUNCATE; appends are serialised on one chain-head row, and
 * triggers keep each record linked to the head), and the history of per-bank switch changes with their reasons.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(
    db,
    `
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
    -- Row triggers do not see TRUNCATE.
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
      FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

    -- The chain's links hold in the database too: a record must follow the head, and the head may only move
    -- one step onto the record just appended. (Hashes are computed and verified by the application.)
    CREATE FUNCTION audit_log_follows_head() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE h audit_head%ROWTYPE;
    BEGIN
      SELECT * INTO h FROM audit_head WHERE id = 1;
      IF NEW.seq <> h.seq + 1 OR NEW.prev_hash <> h.hash THEN
        RAISE EXCEPTION 'audit record % does not follow the chain head %', NEW.seq, h.seq USING ERRCODE = 'restrict_violation';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER audit_log_link BEFORE INSERT ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_follows_head();
    CREATE FUNCTION audit_head_advance_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the audit chain head cannot be deleted' USING ERRCODE = 'restrict_violation';
      END IF;
      IF NEW.id <> OLD.id OR NEW.seq <> OLD.seq + 1
         OR NOT EXISTS (SELECT 1 FROM audit_log WHERE seq = NEW.seq AND hash = NEW.hash AND prev_hash = OLD.hash) THEN
        RAISE EXCEPTION 'the audit chain head only advances onto the record just appended' USING ERRCODE = 'restrict_violation';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER audit_head_guard BEFORE UPDATE OR DELETE ON audit_head
      FOR EACH ROW EXECUTE FUNCTION audit_head_advance_only();
    CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
      FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
  `,
  );
}
