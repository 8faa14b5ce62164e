import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/**
 * The risk engine's rule sets, versioned: a draft is written by one operator and published by another
 * (maker-checker, enforced in src/risk and by the CHECK below); at most one version is published at a time
 * (partial unique index); rolling back publishes an earlier version again. The rules are kept as YAML, the form
 * operators export and import.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(
    db,
    `
    CREATE TABLE risk_rule_sets (
      version integer PRIMARY KEY CHECK (version > 0),
      status text NOT NULL CHECK (status IN ('draft', 'published', 'retired')),
      yaml text NOT NULL,
      note text NOT NULL DEFAULT '',
      created_by text NOT NULL,
      approved_by text,
      created_at timestamptz NOT NULL,
      published_at timestamptz,
      CONSTRAINT risk_rule_sets_four_eyes CHECK (approved_by IS NULL OR approved_by <> created_by),
      CONSTRAINT risk_rule_sets_published_approved CHECK (status = 'draft' OR (approved_by IS NOT NULL AND published_at IS NOT NULL))
    );
    CREATE UNIQUE INDEX risk_rule_sets_one_published ON risk_rule_sets ((status)) WHERE status = 'published';
  `,
  );
}
