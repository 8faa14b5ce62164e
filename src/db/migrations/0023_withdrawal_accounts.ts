import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/**
 * Forced re-links and withdrawal accounts (src/banks owns every table here).
 * - bank_links.status gains `relink_required`: an operator's forced re-link (four-eyes) cut the link; it is never
 *   usable for charges or withdrawals and no longer counts against its bank account (re-linking goes through the
 *   linking flow). `relink_id` says which re-link cut it.
 * - link_relinks: one row per approved forced re-link, with its progress (`moved_through`, `notified_through`: the
 *   last wallet whose links were moved / who was told, in user-id order) so a run that stops resumes where it was.
 *   `lease_until`/`leased_by`: the one runner at a time.
 * - withdrawal_accounts: the one link per wallet that withdrawals go to; a change starts a cooling-off during which
 *   the previous account (`previous_bank_link_id`) still receives withdrawals. Wallets with links today get their
 *   oldest active link, without cooling-off.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(
    db,
    `
    ALTER TABLE bank_links DROP CONSTRAINT bank_links_status_check;
    ALTER TABLE bank_links ADD CONSTRAINT bank_links_status_check
      CHECK (status IN ('pending_authorization','active','failed','frozen','unlinked','in_review','relink_required'));
    ALTER TABLE bank_links ADD COLUMN relink_id text;
    CREATE INDEX bank_links_active_by_bank ON bank_links (bank_code, user_id) WHERE status = 'active';
    CREATE INDEX bank_links_active_by_user ON bank_links (user_id) WHERE status = 'active';
    CREATE INDEX bank_links_relink ON bank_links (relink_id, user_id) WHERE relink_id IS NOT NULL;

    CREATE TABLE link_relinks (
      id text PRIMARY KEY,
      approval_id text UNIQUE,
      bank_code text CHECK (bank_code IS NULL OR bank_code ~ '^[0-9]{4}$'),
      reason text NOT NULL CHECK (length(btrim(reason)) > 0),
      requested_by text NOT NULL,
      approved_by text NOT NULL,
      status text NOT NULL CHECK (status IN ('running','done')),
      moved_through text NOT NULL DEFAULT '',
      notified_through text NOT NULL DEFAULT '',
      links_moved int NOT NULL DEFAULT 0,
      users_notified int NOT NULL DEFAULT 0,
      lease_until timestamptz,
      leased_by text,
      created_at timestamptz NOT NULL,
      completed_at timestamptz,
      CHECK (requested_by <> approved_by)
    );
    CREATE INDEX link_relinks_running ON link_relinks (id) WHERE status = 'running';

    CREATE TABLE withdrawal_accounts (
      user_id text PRIMARY KEY,
      bank_link_id text NOT NULL REFERENCES bank_links(id),
      since timestamptz NOT NULL,
      cooling_off_until timestamptz,
      previous_bank_link_id text REFERENCES bank_links(id),
      updated_at timestamptz NOT NULL,
      CHECK (previous_bank_link_id IS NULL OR cooling_off_until IS NOT NULL),
      CHECK (previous_bank_link_id IS NULL OR previous_bank_link_id <> bank_link_id)
    );
    INSERT INTO withdrawal_accounts (user_id, bank_link_id, since, updated_at)
      SELECT DISTINCT ON (user_id) user_id, id, coalesce(activated_at, created_at), now()
      FROM bank_links WHERE status = 'active'
      ORDER BY user_id, activated_at NULLS LAST, id;
  `,
  );
}
