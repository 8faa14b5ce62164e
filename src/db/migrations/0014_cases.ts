import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/**
 * Cases become their own area (src/cases): kind and status are closed sets (CHECK), a case may have an
 * assignee, and every transition is kept in case_events (who, from, to, note) beside the audit chain.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(
    db,
    `
    ALTER TABLE cases ADD CONSTRAINT cases_kind CHECK (kind IN ('unauthorized_report', 'reverse_brute_force', 'risk_review'));
    ALTER TABLE cases ADD CONSTRAINT cases_status CHECK (status IN ('open', 'investigating', 'resolved', 'dismissed'));
    ALTER TABLE cases ADD COLUMN assignee text;
    ALTER TABLE cases ADD COLUMN updated_at timestamptz;
    UPDATE cases SET updated_at = created_at;
    ALTER TABLE cases ALTER COLUMN updated_at SET NOT NULL;
    CREATE INDEX cases_status_kind ON cases (status, kind, id);
    CREATE TABLE case_events (
      id text PRIMARY KEY,
      case_id text NOT NULL REFERENCES cases(id),
      actor text NOT NULL,
      from_status text NOT NULL,
      to_status text NOT NULL,
      assignee text,
      note text NOT NULL,
      created_at timestamptz NOT NULL
    );
    CREATE INDEX case_events_case ON case_events (case_id, id);
  `,
  );
}
