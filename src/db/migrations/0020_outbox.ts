import type { Kysely } from 'kysely';
import { executeScript } from '../script.ts';

/**
 * The transactional outbox (src/outbox): a message is a row written in the same transaction as the event it
 * announces; a dispatcher claims due rows (FOR UPDATE SKIP LOCKED), sends them with the row id as the delivery id,
 * and records every attempt in outbox_deliveries. Webhook endpoints keep their signing secret sealed under the
 * server key. user_devices (owned by identity) remembers the devices a user signed in from, so a sign-in from a
 * new one can be told.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await executeScript(
    db,
    `
    CREATE TABLE outbox (
      id text PRIMARY KEY,
      channel text NOT NULL CHECK (channel IN ('email','sms','bank_notice','webhook')),
      recipient text NOT NULL,
      template text NOT NULL,
      locale text NOT NULL CHECK (locale IN ('ja','en')),
      data text NOT NULL,
      idempotency_key text UNIQUE,
      status text NOT NULL CHECK (status IN ('pending','sent','dead')),
      attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
      max_attempts integer NOT NULL CHECK (max_attempts > 0),
      next_attempt_at timestamptz NOT NULL,
      last_error text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      sent_at timestamptz
    );
    CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE status = 'pending';
    CREATE INDEX outbox_status_channel ON outbox (status, channel, id);
    CREATE TABLE outbox_deliveries (
      id text PRIMARY KEY,
      outbox_id text NOT NULL REFERENCES outbox(id),
      attempt integer NOT NULL,
      status text NOT NULL CHECK (status IN ('sent','failed')),
      error text,
      response_status integer,
      duration_ms integer NOT NULL,
      started_at timestamptz NOT NULL
    );
    CREATE INDEX outbox_deliveries_outbox ON outbox_deliveries (outbox_id, started_at);
    CREATE TABLE webhook_endpoints (
      id text PRIMARY KEY,
      owner text NOT NULL,
      url text NOT NULL,
      secret text NOT NULL,
      created_at timestamptz NOT NULL,
      disabled_at timestamptz
    );
    CREATE INDEX webhook_endpoints_owner ON webhook_endpoints (owner) WHERE disabled_at IS NULL;
    CREATE TABLE user_devices (
      user_id text NOT NULL REFERENCES users(id),
      device text NOT NULL,
      first_seen_at timestamptz NOT NULL,
      PRIMARY KEY (user_id, device)
    );
  `,
  );
}
